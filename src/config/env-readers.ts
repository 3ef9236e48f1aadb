/**
 * Readers of single environment variables, each refusing a bad value with
 * one line that names the variable, what it holds and what is allowed.
 */

/** Raised for a setting that cannot be used; its message is one line. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** The environment settings are read from. */
export type Env = Record<string, string | undefined>

/** Splits a comma-separated setting into its trimmed, non-empty values. */
export function splitList(value: string | undefined): string[] {
  if (value === undefined) return []

  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

/** The trimmed value of `name`, or undefined when unset or empty. */
export function readText(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()

  return value === undefined || value === '' ? undefined : value
}

/** The whole number `name`, `fallback` when unset. */
export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = readText(env, name)
  if (text === undefined) return fallback

  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max}, got "${text}"`,
    )
  }

  return value
}

/** The absolute http(s) URL `name`, without a trailing slash. */
export function readHttpUrl(env: Env, name: string): string | undefined {
  const text = readText(env, name)
  if (text === undefined) return undefined

  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(
      `${name} must be an absolute http(s) URL, got "${text}"`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(
      `${name} must use http or https, got "${url.protocol}" in "${text}"`,
    )
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError(
      `${name} must not carry a query or fragment, got "${text}"`,
    )
  }

  return text.replace(/\/+$/, '')
}

/** The yes/no setting `name`, `fallback` when unset. */
export function readBoolean(env: Env, name: string, fallback: boolean) {
  const text = readText(env, name)?.toLowerCase()
  if (text === undefined) return fallback
  if (['1', 'true', 'yes', 'on'].includes(text)) return true
  if (['0', 'false', 'no', 'off'].includes(text)) return false

  throw new ConfigError(`${name} must be true or false, got "${text}"`)
}

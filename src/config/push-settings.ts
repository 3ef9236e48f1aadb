/**
 * Where push notifications go: an ntfy-compatible topic, and the browsers
 * of people who subscribed in the console (Web Push, with VAPID keys).
 */
import { ConfigError, readHttpUrl, readText, type Env } from './env-readers.js'

/** Web Push's VAPID identity; undefined when Web Push is not set up. */
export interface WebPushSettings {
  publicKey: string
  privateKey: string
  /** A `mailto:` or `https:` address push services may contact. */
  subject: string
}

/** Push settings. */
export interface PushSettings {
  /** ntfy-compatible topic URL; unset sends nothing there. */
  ntfyUrl: string | undefined
  /** Bearer token for the ntfy topic, if it needs one. */
  ntfyToken: string | undefined
  webPush: WebPushSettings | undefined
}

/** Reads the push settings from `env`. */
export function readPushSettings(env: Env): PushSettings {
  return {
    ntfyUrl: readHttpUrl(env, 'PUSH_NTFY_URL'),
    ntfyToken: readText(env, 'PUSH_NTFY_TOKEN'),
    webPush: readWebPush(env),
  }
}

function readWebPush(env: Env): WebPushSettings | undefined {
  const publicKey = readText(env, 'VAPID_PUBLIC_KEY')
  const privateKey = readText(env, 'VAPID_PRIVATE_KEY')
  if (publicKey === undefined && privateKey === undefined) return undefined

  if (publicKey === undefined || privateKey === undefined) {
    throw new ConfigError(
      'VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together; make a ' +
        'pair with "npx web-push generate-vapid-keys"',
    )
  }
  const subject = readText(env, 'VAPID_SUBJECT')
  if (subject === undefined || !/^(mailto:|https:\/\/)/.test(subject)) {
    throw new ConfigError(
      'VAPID_SUBJECT must be a mailto: or https:// address push services ' +
        `can reach the shop at, like "mailto:owner@yourshop.com", got ` +
        `"${subject ?? ''}"`,
    )
  }

  return { publicKey, privateKey, subject }
}

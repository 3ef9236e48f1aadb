/**
 * The environment for a service process started from a test.
 */

/**
 * This process's environment without the test runner's mark; a child that
 * inherited it would behave as a test file instead of a service.
 */
export function childEnv(
  overrides: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _mark, ...env } = process.env

  return { ...env, ...overrides }
}

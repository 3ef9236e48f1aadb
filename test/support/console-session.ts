/**
 * Signs in to a test service's console the way a browser does, and sends
 * requests with the session cookie and the page's CSRF token.
 */
import type {
  FastifyInstance,
  InjectOptions,
  LightMyRequestResponse,
} from 'fastify'

/** The test password every console test signs in with. */
export const CONSOLE_TEST_PASSWORD = 'correct horse battery staple'

/** A signed-in browser, for `app.inject`. */
export interface SignedIn {
  cookie: string
  csrf: string
  /** Sends `options` with the session cookie. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>
}

/** Signs in as `shop` under `basePath` and reads a CSRF token. */
export async function signIn(
  app: FastifyInstance,
  basePath = '',
): Promise<SignedIn> {
  const response = await app.inject({
    method: 'POST',
    url: `${basePath}/console/sign-in`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      name: 'shop',
      password: CONSOLE_TEST_PASSWORD,
    }).toString(),
  })
  const setCookie = [response.headers['set-cookie'] ?? []].flat()[0]
  if (response.statusCode !== 303 || !setCookie) {
    throw new Error(`sign-in failed with ${response.statusCode}`)
  }
  const cookie = setCookie.split(';')[0]!

  const page = await app.inject({
    method: 'GET',
    url: `${basePath}/console/sign-in`,
    headers: { cookie },
  })
  const csrf = /data-csrf="([^"]+)"/.exec(page.body)?.[1]
  if (!csrf) throw new Error('no CSRF token on the console page')

  return {
    cookie,
    csrf,
    request: (options) =>
      app.inject({
        ...options,
        headers: { ...options.headers, cookie },
      }),
  }
}

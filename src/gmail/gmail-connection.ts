/**
 * Signs in to the shop's Gmail with Google's own client: a service account
 * acting for the shop's mailbox, or an account signed in once whose refresh
 * token the service keeps.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail'
import { JWT, OAuth2Client } from 'google-auth-library'
import type { GmailSettings } from '../config/gmail-settings.js'

/** The one scope the mail doors need: read, label and unlabel mail. */
const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify'

/** Where gtoken, under the service account client, asks for its tokens. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token'

type Credentials = NonNullable<GmailSettings['credentials']>

/**
 * Says what to set when `settings` hold no Gmail credentials, in one
 * sentence; undefined when they do.
 */
export function gmailCredentialsProblem(
  settings: GmailSettings,
): string | undefined {
  if (settings.credentials !== undefined) return undefined

  return (
    'Gmail has no credentials: set GMAIL_SERVICE_ACCOUNT_JSON and ' +
    'GMAIL_IMPERSONATE to sign in as a service account, or ' +
    'GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET and GMAIL_REFRESH_TOKEN to sign ' +
    'in as the mailbox owner'
  )
}

/**
 * Builds the Gmail API client for `settings`. Nothing is sent until the
 * first call; the client fetches and renews its access token itself.
 * Throws when no credentials are configured.
 */
export function connectGmail(settings: GmailSettings): gmail_v1.Gmail {
  const credentials = settings.credentials
  if (credentials === undefined) {
    throw new Error(gmailCredentialsProblem(settings))
  }

  const auth = signIn(credentials, settings.tokenUrl)

  return gmail({ version: 'v1', auth, rootUrl: rootUrlOf(settings) })
}

function rootUrlOf(settings: GmailSettings): string | undefined {
  const root = settings.apiRootUrl
  if (root === undefined) return undefined

  return root.endsWith('/') ? root : `${root}/`
}

function signIn(
  credentials: Credentials,
  tokenUrl: string | undefined,
): OAuth2Client {
  if (credentials.kind === 'refresh-token') {
    return signInWithRefreshToken(credentials, tokenUrl)
  }

  return signInAsServiceAccount(credentials, tokenUrl)
}

function signInWithRefreshToken(
  credentials: Extract<Credentials, { kind: 'refresh-token' }>,
  tokenUrl: string | undefined,
): OAuth2Client {
  const client = new OAuth2Client({
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    ...(tokenUrl && { endpoints: { oauth2TokenUrl: tokenUrl } }),
  })
  client.setCredentials({ refresh_token: credentials.refreshToken })

  return client
}

function signInAsServiceAccount(
  credentials: Extract<Credentials, { kind: 'service-account' }>,
  tokenUrl: string | undefined,
): JWT {
  const client = new JWT({
    email: credentials.key.client_email,
    key: credentials.key.private_key,
    scopes: [GMAIL_SCOPE],
    subject: credentials.impersonate,
  })
  if (tokenUrl !== undefined) sendTokenRequestsTo(client, tokenUrl)

  return client
}

// The JWT client takes `endpoints` from OAuth2Client but never reads them:
// it gets its tokens through gtoken, which posts to Google's token URL
// written into its code. gtoken does send through the JWT client's own
// `transporter` (a Gaxios instance), and Gaxios runs request interceptors
// after it has resolved the URL, so rewriting that one URL there moves the
// token request without touching the Gmail calls. The assertion's `aud`
// claim still names Google's URL; a stand-in token endpoint must accept it.
function sendTokenRequestsTo(client: JWT, tokenUrl: string): void {
  const target = new URL(tokenUrl)
  client.transporter.interceptors.request.add({
    resolved: async (request) => {
      if (request.url.toString() !== GOOGLE_TOKEN_URL) return request

      return { ...request, url: target }
    },
  })
}

/**
 * Customers stop and restart texts from the shop with keywords, as carriers
 * require: STOP and its synonyms opt out, START and its synonyms opt back in.
 */

/** What an incoming text asks of the shop's texting. */
export type OptOutRequest = 'stop' | 'start'

const STOP_WORDS = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
])

const START_WORDS = new Set(['START', 'YES', 'UNSTOP'])

/**
 * Whether a text opts out or back in. Twilio's own verdict (`OptOutType`,
 * sent when Advanced Opt-Out is on) counts first; otherwise the whole body,
 * trimmed and in any case, must be one of the keywords.
 */
export function optOutRequest(
  body: string,
  optOutType: string | undefined,
): OptOutRequest | undefined {
  const verdict = optOutType?.trim().toUpperCase()
  if (verdict === 'STOP') return 'stop'
  if (verdict === 'START') return 'start'

  const word = body
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase()
  if (STOP_WORDS.has(word)) return 'stop'
  if (START_WORDS.has(word)) return 'start'

  return undefined
}

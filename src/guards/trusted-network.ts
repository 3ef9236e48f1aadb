/**
 * The guard of doors and reads that carry no credentials of their own: the
 * caller's address must lie in `TRUSTED_NETWORKS`. The address is the
 * peer's, or what a proxy of `TRUSTED_PROXIES` forwarded in
 * `X-Forwarded-For`; that header from anyone else changes nothing.
 */
import type { FastifyRequest } from 'fastify'
import proxyaddr from 'proxy-addr'
import { HttpProblem } from '../http/problem.js'

/** Decides whether a request comes from a trusted network. */
export type NetworkCheck = (request: FastifyRequest) => boolean

/** Builds the check for `networks` (`any` lets everyone in). */
export function trustNetworks(networks: string[] | 'any'): NetworkCheck {
  if (networks === 'any') return () => true

  const inNetworks = proxyaddr.compile(networks)

  return (request) => inNetworks(request.ip, 0)
}

/**
 * Lets the request through when it comes from a trusted network.
 *
 * @throws HttpProblem 403 naming the address and the setting.
 */
export function requireTrustedNetwork(
  request: FastifyRequest,
  isTrusted: NetworkCheck,
): void {
  if (isTrusted(request)) return

  throw new HttpProblem(
    403,
    'untrusted-network',
    'Forbidden from this network',
    `Requests from ${request.ip} are not accepted here: this address is ` +
      'for machines on the trusted networks only. Call it from there, or ' +
      'add the address to TRUSTED_NETWORKS.',
  )
}

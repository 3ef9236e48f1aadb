/**
 * The part of autocannon's programmatic API the load driver uses; the
 * package ships no types of its own.
 */
declare module 'autocannon' {
  /** One request as autocannon builds it. */
  export interface AutocannonRequest {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
    /** Rewrites the request before each send; per-connection `context`. */
    setupRequest?: (
      request: AutocannonRequest,
      context: Record<string, unknown>,
    ) => AutocannonRequest
    /** Called with each answer, and the context its request was built in. */
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
    ) => void
  }

  export interface AutocannonOptions {
    url: string
    connections?: number
    /** Seconds. */
    duration?: number
    /** Seconds before a request counts as timed out. */
    timeout?: number
    requests?: AutocannonRequest[]
    warmup?: { connections?: number; duration?: number }
  }

  /** A latency or rate histogram summary. */
  export interface Histogram {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
    p99_9?: number
    total: number
  }

  export interface Result {
    latency: Histogram
    requests: Histogram
    throughput: Histogram
    errors: number
    timeouts: number
    non2xx: number
    resets: number
    duration: number
    '2xx': number
    statusCodeStats: Record<string, { count: number }>
    warmup?: Result
  }

  function autocannon(options: AutocannonOptions): Promise<Result>

  export default autocannon
}

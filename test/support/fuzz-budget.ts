/**
 * How long the property-based tests may run. A group of properties shares
 * one budget of seconds: each runs its number of cases or until its share
 * of what is left is spent, whichever comes first, so the fuzz files stay
 * within a few minutes however slow the machine.
 *
 * Every case is drawn from fast-check's seeded generator, so `FUZZ_SEED`
 * replays the run a failure reported (fast-check prints its seed with the
 * shrunk counterexample); `FUZZ_SCALE` multiplies the cases and the
 * seconds, for a longer hunt by hand (`FUZZ_SCALE=20`).
 */
import type { Parameters } from 'fast-check'

/** Gives the next property its fast-check parameters for `runs` cases. */
export type FuzzBudget = <T>(runs: number) => Parameters<T>

// No property gets less than this, even once the group is out of time.
const LEAST_SHARE_MS = 250

/**
 * A budget of `seconds` for `properties` properties run one after another;
 * the clock starts when the first of them asks for its share.
 */
export function fuzzBudget(seconds: number, properties: number): FuzzBudget {
  const scale = Number(process.env.FUZZ_SCALE ?? '1')
  const seed = process.env.FUZZ_SEED
  let deadline: number | undefined
  let left = properties

  return <T>(runs: number): Parameters<T> => {
    deadline ??= Date.now() + seconds * 1000 * scale
    const share = (deadline - Date.now()) / Math.max(1, left)
    left -= 1

    return {
      numRuns: Math.max(1, Math.round(runs * scale)),
      interruptAfterTimeLimit: Math.max(LEAST_SHARE_MS, share),
      markInterruptAsFailure: false,
      includeErrorInReport: true,
      ...(seed === undefined ? {} : { seed: Number(seed) }),
    }
  }
}

/**
 * The whole machine's CPU time, from `/proc/stat`, read before and after a
 * target's load. The target, the load driver and the PostgreSQL server
 * share the machine's cores, so what they used together per answer says
 * how far this machine could take a target if nothing else ran: a target
 * that needs C µs of the machine per answer can give at most
 * cores × 1,000,000 / C answers a second.
 */
import { readFile } from 'node:fs/promises'
import { CLOCK_TICKS } from './target-process.js'

/** CPU time the machine has spent since boot, over all its cores, in s. */
export interface MachineCpu {
  /** Time the cores ran anything: user, nice, system, irq and softirq. */
  busySeconds: number
  /** Time the hypervisor gave the machine's cores to someone else. */
  stolenSeconds: number
  /** All the cores' time, busy, idle or stolen. */
  totalSeconds: number
  /** Cores counted on the `cpu` line. */
  cores: number
}

/** Reads the machine's CPU totals. */
export async function readMachineCpu(): Promise<MachineCpu> {
  const stat = await readFile('/proc/stat', 'utf8')
  const lines = stat.split('\n')
  const total = lines.find((line) => line.startsWith('cpu '))
  if (!total) throw new Error('/proc/stat has no "cpu " line.')

  // user nice system idle iowait irq softirq steal guest guest_nice
  const ticks = total.trim().split(/\s+/).slice(1).map(Number)
  const sum = (fields: number[]) =>
    fields.reduce((total, i) => total + (ticks[i] ?? 0), 0)
  const busy = sum([0, 1, 2, 5, 6])

  return {
    busySeconds: busy / CLOCK_TICKS,
    stolenSeconds: (ticks[7] ?? 0) / CLOCK_TICKS,
    totalSeconds: sum([0, 1, 2, 3, 4, 5, 6, 7]) / CLOCK_TICKS,
    cores: lines.filter((line) => /^cpu\d+ /.test(line)).length,
  }
}

/** What the machine spent between `before` and `after`. */
export function machineCpuSpent(
  before: MachineCpu,
  after: MachineCpu,
): MachineCpu {
  return {
    busySeconds: after.busySeconds - before.busySeconds,
    stolenSeconds: after.stolenSeconds - before.stolenSeconds,
    totalSeconds: after.totalSeconds - before.totalSeconds,
    cores: after.cores,
  }
}

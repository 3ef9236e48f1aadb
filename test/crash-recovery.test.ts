import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import pg from 'pg'
import { RULE_RUN_QUEUE } from '../src/jobs/job-queue.js'
import { openDatabase, type DatabaseLocation } from '../src/storage/database.js'
import { parseExposition, valueOf } from './support/exposition.js'
import {
  startServiceProcess,
  type ServiceProcess,
} from './support/service-process.js'
import {
  createServerDatabase,
  dropServerDatabase,
  query,
  type Engine,
} from './support/test-database.js'
import { TEST_SECRET, waitFor } from './support/test-service.js'

const METRICS_TOKEN = 'crash-metrics-token-0b1d'

/**
 * Events that each match exactly one follow-up rule of the shipped rules
 * file, and whose first action is an inbox item. The new inquiry also
 * pushes to the shop's phones, after its inbox item.
 */
const FOLLOWED_UP_EVENTS = [
  {
    event_type: 'lead.new_inquiry',
    data: { customer: { name: 'Rosa' }, message: '48 hoodies, two colours' },
  },
  {
    event_type: 'mockup.rejected',
    work_order_id: 'WO-7001',
    data: { feedback: 'Make the crest bigger' },
  },
  {
    event_type: 'pantone.confidence.low',
    work_order_id: 'WO-7002',
    data: { pantone: '186 C', confidence: 0.41 },
  },
  {
    event_type: 'printpath.cogs.incomplete',
    work_order_id: 'WO-7003',
    data: { missing: 'blanks' },
  },
]

/** Requests the load keeps in flight at once. */
const IN_FLIGHT = 24

/** Acknowledged events after which the process is killed. */
const ACKNOWLEDGED_BEFORE_KILL = 48

/**
 * An ntfy server that holds every push until it is let go: a follow-up
 * job that pushes stays running for as long as the test wants.
 */
class HoldingPushServer {
  received = 0
  holding = true
  private readonly held: ServerResponse[] = []
  private readonly server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      this.received += 1
      if (this.holding) this.held.push(response)
      else response.end('{"id":"msg"}')
    })
  })

  async start(): Promise<string> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    )
    const { port } = this.server.address() as AddressInfo

    return `http://127.0.0.1:${port}/pressos-shop`
  }

  /** Holds every push from now on, counting afresh. */
  hold() {
    this.holding = true
    this.received = 0
  }

  /** Answers from now on, and drops the pushes held so far. */
  letGo() {
    this.holding = false
    for (const response of this.held.splice(0)) response.destroy()
  }

  async stop(): Promise<void> {
    this.letGo()
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

/** Every event sent, by event_id, with the status it got (0: none). */
type Answers = Map<string, number>

/** Posts events with fresh ids, `IN_FLIGHT` at a time, until stopped. */
class EventLoad {
  readonly answers: Answers = new Map()
  private running = true
  private sent = 0
  private readonly lanes: Promise<void>[]

  constructor(private readonly origin: string) {
    this.lanes = Array.from({ length: IN_FLIGHT }, () => this.lane())
  }

  get acknowledged(): number {
    return [...this.answers.values()].filter(isSuccess).length
  }

  /** Starts no more requests; resolves once those in flight are over. */
  async stop(): Promise<Answers> {
    this.running = false
    await Promise.all(this.lanes)

    return this.answers
  }

  private async lane() {
    while (this.running) {
      const eventId = `crash-${(this.sent += 1)}`
      const event = FOLLOWED_UP_EVENTS[this.sent % FOLLOWED_UP_EVENTS.length]!
      this.answers.set(eventId, 0)
      // A connection that died with the process: no answer, no promise.
      const status = await postEvent(this.origin, {
        ...event,
        event_id: eventId,
      }).catch(() => 0)
      this.answers.set(eventId, status)
    }
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}

/** A database for the test, with the service processes started on it. */
interface Place {
  location: DatabaseLocation
  /** Starts a service process on the place's database. */
  start(): Promise<ServiceProcess>
}

/**
 * Runs `work` on a database of its own for `engine`; every process it
 * started is stopped, and the database deleted, however `work` ends.
 */
async function withPlace(
  engine: Engine,
  env: Record<string, string>,
  work: (place: Place) => Promise<void>,
) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-crash-'))
  const databaseUrl =
    engine === 'postgres' ? await createServerDatabase() : undefined
  const started: ServiceProcess[] = []
  const placeEnv = {
    ...env,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
  }
  try {
    await work({
      location: databaseUrl
        ? { databaseUrl }
        : { pgliteDir: path.join(dataDir, 'pglite') },
      start: async () => {
        const service = await startServiceProcess(placeEnv)
        started.push(service)

        return service
      },
    })
  } finally {
    await Promise.all(started.map((service) => service.stop()))
    if (databaseUrl) await dropServerDatabase(databaseUrl)
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** Opens the database while no service process has it open. */
async function inspect<T>(
  location: DatabaseLocation,
  read: (run: Run) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(location)
  try {
    return await read((text) => query(database, text))
  } finally {
    await database.close()
  }
}

async function postEvent(origin: string, event: object): Promise<number> {
  const response = await fetch(`${origin}/webhooks/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-webhook-secret': TEST_SECRET,
    },
    body: JSON.stringify(event),
  })
  await response.arrayBuffer()

  return response.status
}

/** True once no rule run and no follow-up job is left waiting or running. */
async function followUpsSettled(service: ServiceProcess): Promise<boolean> {
  const response = await fetch(`${service.origin}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  })
  const metrics = parseExposition(await response.text())
  const count = (name: string, labels: Record<string, string>) =>
    valueOf(metrics, name, labels)
  const unfinished = ['queued', 'running', 'retrying'].map((status) =>
    count('pressos_follow_up_rule_runs', { status }),
  )
  const waitingJobs = ['created', 'retry', 'active'].map((state) =>
    count('pressos_job_queue_depth', { queue: RULE_RUN_QUEUE, state }),
  )
  const done = count('pressos_follow_up_rule_runs', { status: 'done' })

  return done > 0 && [...unfinished, ...waitingJobs].every((n) => n === 0)
}

/**
 * Locks the activity log's table from a connection of the test's own, so
 * that every batch the service writes waits; resolves once one does.
 * Returns what lets the writes go on.
 */
async function holdActivityLogWrites(
  databaseUrl: string,
): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const release = async () => {
    await client.query('rollback')
    await client.end()
  }

  const waitingWriters = async () => {
    const result = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_locks
       where relation = 'activity_events'::regclass and not granted`,
    )

    return result.rows[0]!.n > 0
  }
  try {
    await client.query('begin')
    await client.query('lock table activity_events in share mode')
    await waitFor(waitingWriters, 'a batch write waiting for the lock')
  } catch (error) {
    await release()
    throw error
  }

  return release
}

/** What the test knows once the first process is dead. */
interface Killed {
  answers: Answers
  unanswered: number
  /** Follow-up jobs the dead process was running. */
  activeJobIds: string[]
}

/**
 * Starts a process, leaves one of its follow-up jobs running (its push is
 * held), and kills it with SIGKILL while events are pouring in. Given
 * `holdWritesOn`, a PostgreSQL URL, the kill comes while a batch write waits
 * on that database: the moment an answer sent before its commit would be
 * lost.
 */
async function killDuringLoad(
  place: Place,
  pushes: HoldingPushServer,
  holdWritesOn?: string,
): Promise<Killed> {
  pushes.hold()
  const first = await place.start()
  const lead = { ...FOLLOWED_UP_EVENTS[0]!, event_id: 'crash-lead' }
  assert.equal(await postEvent(first.origin, lead), 202)
  await waitFor(async () => pushes.received > 0, 'a push to hold')

  const load = new EventLoad(first.origin)
  await waitFor(
    async () => load.acknowledged >= ACKNOWLEDGED_BEFORE_KILL,
    `${ACKNOWLEDGED_BEFORE_KILL} acknowledged events`,
  )
  const release =
    holdWritesOn === undefined
      ? undefined
      : await holdActivityLogWrites(holdWritesOn)
  // No new request starts; those in flight meet the kill.
  const stopped = load.stop()
  first.child.kill('SIGKILL')
  assert.equal(await first.exited, 'SIGKILL')
  await release?.()
  const answers = await stopped
  answers.set(lead.event_id, 202)

  const active = await inspect(place.location, (run) =>
    run<{ id: string }>(
      `select id from pgboss.job
       where name = '${RULE_RUN_QUEUE}' and state = 'active'`,
    ),
  )
  const unanswered = [...answers.values()].filter((s) => s === 0).length

  return { answers, unanswered, activeJobIds: active.map((job) => job.id) }
}

for (const engine of ['postgres', 'pglite'] as const) {
  describe(`a service killed with SIGKILL on ${engine}`, () => {
    const pushes = new HoldingPushServer()
    let env: Record<string, string>

    before(async () => {
      env = {
        WEBHOOK_SECRET: TEST_SECRET,
        METRICS_TOKEN,
        PUSH_NTFY_URL: await pushes.start(),
        JOB_RETRY_DELAY_SECONDS: '1',
        JOB_TIMEOUT_SECONDS: '5',
      }
    })
    after(() => pushes.stop())

    const killAndRestart = async (
      t: TestContext,
      place: Place,
      holdWritesOn?: string,
    ) => {
      const killed = await killDuringLoad(place, pushes, holdWritesOn)
      assert.ok(killed.unanswered > 0, 'requests were in flight at the kill')
      assert.ok(killed.activeJobIds.length > 0, 'a follow-up job was running')

      pushes.letGo()
      const second = await place.start()
      await waitFor(
        () => followUpsSettled(second),
        'every follow-up to finish after the restart',
        40_000,
      )
      await second.stop()

      await inspect(place.location, async (run) => {
        const stored = await assertStoredOnce(run, killed.answers)
        t.diagnostic(
          `sent ${killed.answers.size}, stored ${stored}, ` +
            `unanswered at the kill ${killed.unanswered}, follow-up ` +
            `jobs running at the kill ${killed.activeJobIds.length}`,
        )
        await assertFollowUpsDone(run)
        await assertCompleted(run, killed.activeJobIds)
      })
    }

    it('keeps every acknowledged event once and finishes its follow-ups after a restart', async (t) => {
      await withPlace(engine, env, (place) => killAndRestart(t, place))
    })

    // Another connection can hold the server's table; the embedded
    // database belongs to the service process alone.
    if (engine === 'postgres') {
      it('keeps every acknowledged event when killed while a write waits on the database', async (t) => {
        await withPlace(engine, env, (place) =>
          killAndRestart(t, place, place.location.databaseUrl!),
        )
      })
    }
  })
}

type Run = <Row>(text: string) => Promise<Row[]>

/** The jobs a dead process was running were run again, to the end. */
async function assertCompleted(run: Run, jobIds: string[]) {
  const completed = await run<{ id: string }>(
    `select id from pgboss.job
     where id in (${jobIds.map((id) => `'${id}'`).join(',')})
       and state = 'completed'`,
  )

  assert.equal(completed.length, jobIds.length)
}
/** Every acknowledged event is stored exactly once; nothing else is. */
async function assertStoredOnce(run: Run, answers: Answers) {
  const stored = await run<{ event_id: string; copies: number }>(
    `select event_id, count(*)::int as copies from activity_events
     where door = 'webhooks.events' group by event_id`,
  )
  const copies = new Map(stored.map((row) => [row.event_id, row.copies]))

  const twice = stored.filter((row) => row.copies !== 1)
  assert.deepEqual(twice, [], 'no event is stored twice')
  const lost = [...answers]
    .filter(([id, status]) => isSuccess(status) && copies.get(id) !== 1)
    .map(([id]) => id)
  assert.deepEqual(lost, [], 'every acknowledged event is stored')
  const unknown = stored.filter((row) => !answers.has(row.event_id))
  assert.deepEqual(unknown, [], 'only events that were sent are stored')

  return stored.length
}

/** Every stored event ran its one follow-up rule to the end, once. */
async function assertFollowUpsDone(run: Run) {
  const events = await run<{ event_id: string; runs: number; done: number }>(
    `select e.event_id, count(r.id)::int as runs,
       count(*) filter (where r.status = 'done')::int as done
     from activity_events e left join rule_runs r on r.event_id = e.id
     where e.door = 'webhooks.events'
     group by e.event_id`,
  )
  const unfinished = events.filter((row) => row.runs !== 1 || row.done !== 1)
  assert.deepEqual(unfinished, [], 'each event ran its rule to the end')

  const [items] = await run<{ runs: number; items: number }>(
    `select count(distinct r.id)::int as runs, count(i.id)::int as items
     from rule_runs r left join inbox_items i on i.rule_run_id = r.id`,
  )
  assert.equal(items!.items, items!.runs, 'one inbox item per rule run')

  const jobs = await run<{ state: string; jobs: number }>(
    `select state::text, count(*)::int as jobs from pgboss.job
     where name = '${RULE_RUN_QUEUE}' group by state`,
  )
  assert.deepEqual(
    jobs.map((row) => row.state),
    ['completed'],
    `every follow-up job completed: ${JSON.stringify(jobs)}`,
  )
}

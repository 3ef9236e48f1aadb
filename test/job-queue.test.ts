import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { JobQueue } from '../src/jobs/job-queue.js'
import type { Database } from '../src/storage/database.js'
import { startJobQueue } from './support/paid-invoices.js'
import { createTestDatabase, ENGINES } from './support/test-database.js'
import { waitFor } from './support/test-service.js'

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1)
}

// Far longer than any test waits: a worker that waits out its polling
// interval takes no second batch while a test runs.
const SLOW_POLLING = { pollingIntervalSeconds: 600 }

for (const engine of ENGINES) {
  describe(`job queue workers on ${engine}`, () => {
    let database: Database
    let jobs: JobQueue

    before(async () => {
      database = await createTestDatabase(engine)
      // Its workers take one job a fetch, so every batch is a full one.
      jobs = await startJobQueue(database)
    })
    after(async () => {
      await jobs.stop()
      await database.close()
    })

    // A hurry answer that counts how often it was asked.
    function answering(answer: boolean) {
      const hurry = () => {
        hurry.asked += 1

        return answer
      }
      hurry.asked = 0

      return hurry
    }

    async function queueJobs(queue: string, count: number) {
      await jobs.declare(queue)
      await jobs.enqueue(
        database.orm,
        queue,
        range(count).map((n) => ({ data: { n } })),
      )
    }

    // Works `queue` with slow polling and `hurry`; answers the jobs run.
    async function workWith(queue: string, hurry: () => boolean) {
      const done: number[] = []
      await jobs.work<{ n: number }>(
        queue,
        async (job) => {
          done.push(job.data.n)
        },
        { ...SLOW_POLLING, hurry },
      )

      return done
    }

    it('fetches again at once after a full batch when told to hurry', async () => {
      await queueJobs('hurried', 5)
      const hurry = answering(true)

      const done = await workWith('hurried', hurry)

      await waitFor(async () => done.length === 5, 'all five jobs to run')
      assert.deepEqual(
        [...done].sort((a, b) => a - b),
        [1, 2, 3, 4, 5],
        'each job ran once, none waiting out the polling interval',
      )
      // Each of the first four batches was followed by a fetch at once.
      assert.ok(hurry.asked >= 4, `asked ${hurry.asked} times, not 4`)
    })

    it('lets other work have a turn between batches while it hurries', async () => {
      await queueJobs('busy', 30)
      let done = 0
      let doneBeforeOtherWork: number | undefined

      await jobs.work<{ n: number }>(
        'busy',
        async () => {
          done += 1
          if (done === 1) {
            setImmediate(() => {
              doneBeforeOtherWork = done
            })
          }
        },
        { ...SLOW_POLLING, hurry: answering(true) },
      )

      await waitFor(async () => done === 30, 'all thirty jobs to run')
      assert.ok(
        doneBeforeOtherWork !== undefined && doneBeforeOtherWork <= 2,
        `other work waited for ${doneBeforeOtherWork} jobs, not one batch`,
      )
    })

    it('waits out the polling interval when it need not hurry', async () => {
      await queueJobs('unhurried', 5)
      const hurry = answering(false)

      const done = await workWith('unhurried', hurry)

      await waitFor(async () => done.length === 1, 'the first job to run')
      await sleep(1_500)
      assert.equal(done.length, 1, 'no second batch before the interval')
      assert.equal(hurry.asked, 1, 'asked once, after the one full batch')
    })
  })
}

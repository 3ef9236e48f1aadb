import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  countByStatus,
  itemBasisPoints,
  summarizeRoadmap,
  workspaceBasisPoints,
  type ItemProgress,
} from '../src/roadmap/roadmap-progress.js'

function item(fields: Partial<ItemProgress> & { id: string }): ItemProgress {
  return { status: 'in_progress', ...fields }
}

describe('itemBasisPoints', () => {
  it('turns a share into basis points', () => {
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 0.4 })), 4000)
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 0 })), 0)
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 1 })), 10_000)
  })

  it('rounds a share half up, past binary noise', () => {
    // 0.12345 x 10000 is 1234.4999999999998 in floating point; it is
    // meant as 1234.5, which rounds up.
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 0.12345 })), 1235)
    // 0.00005 x 10000 = 0.5 -> 1; 0.99995 x 10000 = 9999.5 -> 10000
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 0.00005 })), 1)
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 0.99995 })), 10_000)
    // 0.00004 x 10000 = 0.4 -> 0
    assert.equal(itemBasisPoints(item({ id: 'a', progress: 0.00004 })), 0)
  })

  it('divides done by total, rounding half up', () => {
    const steps = (done: number, total: number) =>
      itemBasisPoints(item({ id: 'a', done, total }))

    assert.equal(steps(2, 5), 4000)
    // 10000 / 3 = 3333.33 -> 3333; 20000 / 3 = 6666.67 -> 6667
    assert.equal(steps(1, 3), 3333)
    assert.equal(steps(2, 3), 6667)
    // 10000 / 20000 = 0.5 -> 1; 10000 / 20001 = 0.49998 -> 0
    assert.equal(steps(1, 20_000), 1)
    assert.equal(steps(1, 20_001), 0)
    assert.equal(steps(5, 5), 10_000)
  })

  it('counts a total of 0 as nothing done, unless the item is done', () => {
    const empty = { done: 0, total: 0 }

    assert.equal(itemBasisPoints(item({ id: 'a', ...empty })), 0)
    assert.equal(
      itemBasisPoints(item({ id: 'a', status: 'done', ...empty })),
      10_000,
    )
  })

  it('counts an item without progress by its status', () => {
    assert.equal(itemBasisPoints(item({ id: 'a', status: 'done' })), 10_000)
    assert.equal(itemBasisPoints(item({ id: 'a', status: 'blocked' })), 0)
    assert.equal(itemBasisPoints(item({ id: 'a', status: 'planned' })), 0)
  })
})

describe('workspaceBasisPoints', () => {
  it('averages the leaf items only', () => {
    const items = [
      item({ id: 'parent', progress: 0.9 }),
      item({ id: 'a', parent_id: 'parent', progress: 0.2 }),
      item({ id: 'b', parent_id: 'parent', done: 3, total: 5 }),
    ]

    // Leaves a (2000) and b (6000): (2000 + 6000) / 2 = 4000; the
    // parent's own 9000 does not count.
    assert.equal(workspaceBasisPoints(items), 4000)
  })

  it('leaves cancelled items out of the mean', () => {
    const items = [
      item({ id: 'a', status: 'done' }),
      item({ id: 'b', status: 'cancelled', progress: 0 }),
      item({ id: 'c', status: 'planned' }),
    ]

    // a 10000 and c 0: 10000 / 2 = 5000 (with b it would be 3333)
    assert.equal(workspaceBasisPoints(items), 5000)
  })

  it('rounds the mean half up', () => {
    const items = [
      item({ id: 'a', progress: 0.0001 }),
      item({ id: 'b', progress: 0 }),
    ]

    // (1 + 0) / 2 = 0.5 -> 1
    assert.equal(workspaceBasisPoints(items), 1)
  })

  it('is 0 with no items, or none left to count', () => {
    assert.equal(workspaceBasisPoints([]), 0)
    assert.equal(
      workspaceBasisPoints([item({ id: 'a', status: 'cancelled' })]),
      0,
    )
  })
})

describe('countByStatus', () => {
  it('lists every status, 0 when no item has it', () => {
    const items = [
      item({ id: 'a', status: 'done' }),
      item({ id: 'b', status: 'done' }),
      item({ id: 'c', status: 'blocked' }),
    ]

    assert.deepEqual(countByStatus(items), {
      planned: 0,
      in_progress: 0,
      blocked: 1,
      done: 2,
      cancelled: 0,
    })
  })
})

describe('summarizeRoadmap', () => {
  it('counts every item, cancelled ones too', () => {
    const items = [
      item({ id: 'a', status: 'cancelled' }),
      item({ id: 'b', progress: 0.5 }),
    ]

    assert.deepEqual(summarizeRoadmap(items), {
      itemCount: 2,
      progressBasisPoints: 5000,
      countsByStatus: {
        planned: 0,
        in_progress: 1,
        blocked: 0,
        done: 0,
        cancelled: 1,
      },
    })
  })
})

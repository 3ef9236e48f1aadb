import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  CANONICAL_EVENT_TYPES,
  CATALOGUE_EVENT_TYPES,
  canonicalEventType,
  LEGACY_ALIASES,
} from '../src/live-feed/event-catalogue.js'

describe('the event catalogue', () => {
  it('holds the 57 strings of the PressOS page, each once', () => {
    assert.equal(CATALOGUE_EVENT_TYPES.length, 57)
    assert.equal(new Set(CATALOGUE_EVENT_TYPES).size, 57)
  })

  it('maps every legacy name to a dotted type of the catalogue', () => {
    const legacy = CATALOGUE_EVENT_TYPES.filter((type) => !type.includes('.'))

    assert.deepEqual(legacy.sort(), Object.keys(LEGACY_ALIASES).sort())
    for (const target of Object.values(LEGACY_ALIASES)) {
      assert.ok(CANONICAL_EVENT_TYPES.includes(target), target)
    }
  })

  it('names the canonical type of a dotted type, an alias or nothing', () => {
    assert.equal(canonicalEventType('shipping.exception'), 'shipping.exception')
    assert.equal(canonicalEventType('production_started'), 'production.started')
    assert.equal(canonicalEventType('Shipping.Exception'), undefined)
    assert.equal(canonicalEventType('shipping.lost'), undefined)
  })
})

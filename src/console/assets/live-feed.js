/*
 * The live feed page with JavaScript on: new events arrive at the top of
 * the table as the server streams them, and rule-run counts move as the
 * runs do. The rows come rendered, and escaped, by the server.
 */
;(function liveFeed() {
  const table = document.getElementById('feed')
  const rows = document.getElementById('feed-rows')
  const status = document.getElementById('feed-status')
  const url = table && table.dataset.stream
  if (!url || !rows || !status || typeof EventSource !== 'function') return

  let fresh = 0

  function elementOf(html) {
    const template = document.createElement('template')
    template.innerHTML = html

    return template.content.firstElementChild
  }

  function rowOf(id) {
    return rows.querySelector('tr[data-event-id="' + Number(id) + '"]')
  }

  function addEvent(message) {
    const { id, html } = JSON.parse(message.data)
    if (rowOf(id)) return

    const row = elementOf(html)
    row.classList.add('fresh')
    rows.prepend(row)
    document.getElementById('feed-empty')?.remove()

    fresh += 1
    status.textContent = fresh === 1 ? '1 new event' : fresh + ' new events'
  }

  function updateRuleRuns(message) {
    const { id, html } = JSON.parse(message.data)
    const cell = rowOf(id)?.querySelector('[data-rule-runs]')
    if (cell) cell.replaceWith(elementOf(html))
  }

  const stream = new EventSource(url)
  // Says whether the page is live, for people (the status) and for tests.
  stream.addEventListener('open', () => (table.dataset.streamState = 'open'))
  stream.addEventListener('error', () => {
    table.dataset.streamState = 'reconnecting'
  })
  stream.addEventListener('feed-event', addEvent)
  stream.addEventListener('rule-runs', updateRuleRuns)
})()

// Webhooks page: a Copy button beside each example request. Without this
// script the examples stay selectable text.
for (const example of document.querySelectorAll('pre[data-example]')) {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'quiet copy-example'
  button.textContent = 'Copy'
  const status = document.createElement('span')
  status.setAttribute('aria-live', 'polite')
  status.className = 'muted'

  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(example.textContent ?? '')
      status.textContent = ' Copied.'
    } catch {
      status.textContent = ' Could not copy; select the text instead.'
    }
  })

  example.after(button, status)
}

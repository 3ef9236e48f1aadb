// Turns browser push on and off for this browser from the notifications
// page: registers the service worker, subscribes with the shop's VAPID key
// and hands the subscription to the server.
;(() => {
  const controls = document.getElementById('push-controls')
  const status = document.getElementById('push-status')
  const on = document.getElementById('push-on')
  const off = document.getElementById('push-off')
  const csrf = document.querySelector('main').dataset.csrf
  const say = (text) => (status.textContent = text)

  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    say('This browser cannot receive push notifications.')
    return
  }

  const keyBytes = (base64url) => {
    const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/')
    const text = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    return Uint8Array.from(text, (c) => c.charCodeAt(0))
  }

  const post = (url, body) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    })

  const show = (subscribed) => {
    on.hidden = subscribed
    off.hidden = !subscribed
  }

  const start = async () => {
    const worker = await navigator.serviceWorker.register(
      controls.dataset.workerUrl,
    )
    const existing = await worker.pushManager.getSubscription()
    show(existing !== null)
    if (existing) say('Notifications are on for this browser.')

    on.addEventListener('click', async () => {
      try {
        const subscription = await worker.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(controls.dataset.vapidKey),
        })
        const label = document.getElementById('push-label').value || null
        const answer = await post(controls.dataset.subscribeUrl, {
          ...subscription.toJSON(),
          label,
        })
        if (!answer.ok) throw new Error((await answer.json()).detail)
        show(true)
        say('Notifications are on. Reload to see this browser in the list.')
      } catch (error) {
        say(`Could not turn notifications on: ${error.message}`)
      }
    })

    off.addEventListener('click', async () => {
      const subscription = await worker.pushManager.getSubscription()
      if (subscription) {
        await post(controls.dataset.subscribeUrl + '/remove', {
          endpoint: subscription.endpoint,
        })
        await subscription.unsubscribe()
      }
      show(false)
      say('Notifications are off for this browser.')
    })
  }

  start().catch((error) => say(`Push is unavailable: ${error.message}`))
})()

// Service worker for the console's push notifications: shows what the
// server sent ({ title, body, click }) and opens its address when tapped.
self.addEventListener('push', (event) => {
  const data = event.data ? event.data.json() : {}

  event.waitUntil(
    self.registration.showNotification(data.title || 'PressOS', {
      body: data.body || '',
      data: { click: data.click },
    }),
  )
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const click = event.notification.data && event.notification.data.click
  if (click) event.waitUntil(self.clients.openWindow(click))
})

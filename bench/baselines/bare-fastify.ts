/**
 * The ceiling for Node on this machine: Fastify with its defaults, parsing
 * the JSON body of `POST /webhooks/events` and answering 202 with no work
 * and no logging.
 *
 *     PORT=0 node --import tsx bench/baselines/bare-fastify.ts
 */
import Fastify from 'fastify'

const app = Fastify({ logger: false })

app.post('/webhooks/events', async (_request, reply) => {
  reply.code(202).send()
})

const address = await app.listen({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
})
console.log(`bare Fastify listening at ${address}`)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close())
}

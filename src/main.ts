/**
 * Starts PressOS Inbound: reads the settings, opens the database, starts
 * the job workers and listens. SIGTERM and SIGINT shut it down gracefully.
 */
import closeWithGrace from 'close-with-grace'
import dotenv from 'dotenv'
import { ConfigError } from './config/env-readers.js'
import { loadConfig, type Config } from './config/environment.js'
import { startUpNotices } from './config/start-up-notices.js'
import { RuleBookError } from './follow-up/rule-book.js'
import { createLogger } from './http/logging.js'
import { PriceListError } from './pricing/price-list.js'
import { startService } from './service.js'

dotenv.config({ quiet: true })

const config = readConfigOrExit()
const logger = createLogger(config.logLevel)

try {
  const service = await startService({ config, logger })
  for (const notice of startUpNotices(config)) {
    logger[notice.level](notice.message)
  }

  closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an unexpected error')
    else logger.info({ signal }, 'shutting down')
    await service.close()
  })

  const address = await service.app.listen({
    port: config.port,
    host: config.host,
  })
  logger.info(
    { database: service.database.engine, rules: service.ruleBook.rules.length },
    `PressOS Inbound is listening; events door at ` +
      `${address}${config.basePath}/webhooks/events`,
  )
} catch (error) {
  if (error instanceof RuleBookError) {
    console.error(`Follow-up rules error: ${error.message}`)
  } else if (error instanceof PriceListError) {
    console.error(`Price list error: ${error.message}`)
  } else {
    logger.fatal({ err: error }, 'PressOS Inbound could not start')
  }
  process.exit(1)
}

function readConfigOrExit(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error

    console.error(`Configuration error: ${error.message}`)
    process.exit(1)
  }
}

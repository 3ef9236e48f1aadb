/**
 * Starts PressOS Inbound: reads the settings, opens the database, starts
 * the job workers and listens. SIGTERM and SIGINT shut it down gracefully.
 */
import closeWithGrace from 'close-with-grace'
import dotenv from 'dotenv'
import { ConfigError } from './config/env-readers.js'
import { loadConfig, type Config } from './config/environment.js'
import { RuleBookError } from './follow-up/rule-book.js'
import { WEBHOOK_SECRET_VARIABLES } from './guards/webhook-secret.js'
import { createLogger } from './http/logging.js'
import { PriceListError } from './pricing/price-list.js'
import { startService } from './service.js'

dotenv.config({ quiet: true })

const config = readConfigOrExit()
const logger = createLogger(config.logLevel)

try {
  const service = await startService({ config, logger })
  warnAboutOpenings(config)

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

function warnAboutOpenings(config: Config) {
  if (config.webhookSecrets.length === 0) {
    logger.warn(
      `no webhook secret is set: POST /webhooks/events answers 503 until ` +
        `one of ${WEBHOOK_SECRET_VARIABLES.join(', ')} is set`,
    )
  }
  if (config.twilioAuthTokens.length === 0) {
    logger.info(
      'TWILIO_AUTH_TOKEN is unset: the Twilio doors answer 503 until it is',
    )
  }
  if (config.insightSecrets.length === 0) {
    logger.warn(
      'POST /api/inbox/insights is unsigned: anyone who can reach it can ' +
        'add inbox items; set PRINTBRAIN_WEBHOOK_SECRET to require signatures',
    )
  }
  if (config.pricingSecrets.length === 0) {
    logger.warn(
      'POST /api/pricing/quote is unsigned: set PRESSOS_PRICING_HMAC_SECRET ' +
        'to require signatures',
    )
  }
  if (config.trustedNetworks === 'any') {
    logger.warn(
      'TRUSTED_NETWORKS=any: doors and reads without credentials of their ' +
        'own are open to every address',
    )
  }
  if (!config.databaseUrl) {
    logger.info(
      { dataDir: config.dataDir },
      'DATABASE_URL is unset: using the embedded database in DATA_DIR',
    )
  }
}

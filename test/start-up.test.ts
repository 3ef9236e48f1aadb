import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import { childEnv } from './support/child-env.js'

describe('starting the service', () => {
  let dataDir: string

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-start-'))
  })
  after(() => rm(dataDir, { recursive: true, force: true }))

  it('starts in a data folder it makes, warning of closed and unsigned doors', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: childEnv({
        PORT: '0',
        DATA_DIR: path.join(dataDir, 'not', 'made', 'yet'),
        DATABASE_URL: '',
      }),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const logged: Record<string, unknown>[] = []
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        logged.push(JSON.parse(line))
        if (line.includes('is listening')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`exited with ${code}`)))
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill('SIGTERM')
    await exited

    const warnings = logged
      .filter((entry) => entry.level === 40)
      .map((entry) => String(entry.msg))
    const closedDoor = warnings.find((msg) => msg.includes('webhook secret'))
    assert.match(closedDoor ?? '', /no webhook secret is set.*WEBHOOK_SECRET/)
    assert.ok(
      warnings.some((msg) => /insights is unsigned/.test(msg)),
      'the unsigned insights door is named',
    )
    assert.ok(
      warnings.some((msg) => /pricing\/quote is unsigned/.test(msg)),
      'the unsigned pricing door is named',
    )
  })

  it('refuses to start on a rules file with a mistake, naming it', async () => {
    const rulesFile = path.join(dataDir, 'rules.yaml')
    await writeFile(
      rulesFile,
      'rules:\n  - id: lead\n    on: lead.new_inquiry\n' +
        '    actions:\n      - type: emial\n',
    )

    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts'],
      {
        env: childEnv({ FOLLOW_UP_RULES: rulesFile, DATA_DIR: dataDir }),
        encoding: 'utf8',
        timeout: 60_000,
      },
    )

    assert.equal(result.status, 1)
    assert.match(result.stderr, /^Follow-up rules error: /)
    assert.match(
      result.stderr,
      /rule "lead" action 1: unknown action type "emial"/,
    )
  })
})

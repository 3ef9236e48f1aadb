/**
 * `<console>/roadmap`: the newest snapshot of every workspace's roadmap,
 * with its progress and items by status; `<console>/roadmap/:workspace` is
 * that workspace's history, with what changed from one import to the next.
 */
import type { FastifyInstance } from 'fastify'
import { HttpProblem } from '../../http/problem.js'
import {
  latestSnapshots,
  workspaceHistory,
} from '../../roadmap/roadmap-snapshots.js'
import type { ConsoleContext } from '../console-context.js'
import { renderPage } from '../console-views.js'
import { displayFormats } from '../display-formats.js'

/** Snapshots of one workspace's history shown, newest first. */
const HISTORY_SHOWN = 20

/** Registers the roadmap page and the history of each workspace. */
export function roadmapPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/roadmap`
  const orm = context.database.orm
  const formats = displayFormats(context.config.shopTimeZone)

  scope.get(page, async (request, reply) =>
    renderPage(request, reply, './roadmap', {
      title: 'Roadmap',
      ...formats,
      workspaces: await latestSnapshots(orm),
    }),
  )

  scope.get(`${page}/:workspace`, async (request, reply) => {
    const { workspace } = request.params as { workspace: string }
    const history = await workspaceHistory(orm, workspace, HISTORY_SHOWN)
    if (!history) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such workspace',
        `No roadmap of workspace ${JSON.stringify(workspace)} was ever ` +
          'imported. The Roadmap page lists every imported workspace.',
      )
    }

    return renderPage(request, reply, './roadmap-history', {
      title: `Roadmap of ${history[0]!.workspace_name ?? workspace}`,
      ...formats,
      workspace,
      history,
    })
  })
}

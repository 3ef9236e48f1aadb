/**
 * Health checks for load balancers and process supervisors.
 */
import { HttpProblem } from '../http/problem.js'
import type { Door } from './door.js'

const OPERATIONS = {
  scheme: 'none',
  summary: 'No secret: it only says whether the service can work.',
  technical: 'None. Meant for load balancers and process supervisors.',
} as const

/** `GET /healthz`: the process is up. */
export const healthDoor: Door = {
  id: 'service.health',
  section: 'service',
  path: '/healthz',
  methods: ['GET'],
  security: OPERATIONS,
  purpose: 'Answers 200 while the process is running.',
  handler: () => async () => ({ status: 'ok' }),
}

/** `GET /readyz`: the database answers and its schema is current. */
export const readinessDoor: Door = {
  id: 'service.readiness',
  section: 'service',
  path: '/readyz',
  methods: ['GET'],
  security: OPERATIONS,
  purpose:
    'Answers 200 when the database is reachable and every migration is ' +
    'applied, 503 otherwise.',
  refusals: [
    { status: 503, when: 'The database is unreachable or not migrated.' },
  ],
  handler: (context) => async () => {
    if (!(await context.database.isReady())) {
      throw new HttpProblem(
        503,
        'not-ready',
        'Not ready',
        'The database does not answer or its migrations are not all ' +
          'applied. Check DATABASE_URL and the start-up log.',
      )
    }

    return { status: 'ready', database: context.database.engine }
  },
}

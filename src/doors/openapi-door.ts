/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of every door, built
 * from the registry when first asked for. Public, like /webhooks/ping: it
 * names headers and settings, never their values.
 */
import {
  openApiDocument,
  type OpenApiDocument,
} from '../api-description/openapi-document.js'
import type { Door } from './door.js'

/**
 * The description door for the doors `listDoors` gives. A function, so
 * that the registry can list this door among the doors it describes.
 */
export function openApiDoor(listDoors: () => readonly Door[]): Door {
  return {
    id: 'service.openapi',
    section: 'service',
    path: '/openapi.json',
    methods: ['GET'],
    security: {
      scheme: 'none',
      summary: 'No secret: it describes the doors and holds no secret.',
      technical:
        'None. It names the headers and settings each door checks, never ' +
        'their values.',
    },
    purpose:
      'The OpenAPI 3.1 description of every door: addresses, methods, ' +
      'security, bodies, answers and refusals.',
    handler: (context) => {
      let document: OpenApiDocument | undefined

      return async () => {
        document ??= openApiDocument(listDoors(), context)

        return document
      }
    },
  }
}

/**
 * Where the service keeps files (PDFs from the shop's mail) and how long the
 * links it hands out to them last.
 */
import {
  readBoolean,
  readHttpUrl,
  readInteger,
  readText,
  type Env,
} from './env-readers.js'

/** File storage settings. */
export interface FileStorageSettings {
  /** S3 bucket; unset keeps files in a folder under DATA_DIR. */
  s3Bucket: string | undefined
  s3Region: string
  /** Endpoint of an S3-compatible server; unset for AWS itself. */
  s3Endpoint: string | undefined
  /** Address buckets by path rather than by host name. */
  s3ForcePathStyle: boolean
  /** How long a hand-out link to a file works, in seconds. */
  linkExpirySeconds: number
  /** Key that signs links to local files; unset uses one kept in DATA_DIR. */
  linkSecret: string | undefined
}

/** Reads the file storage settings from `env`. */
export function readFileStorageSettings(env: Env): FileStorageSettings {
  return {
    s3Bucket: readText(env, 'S3_BUCKET'),
    s3Region: readText(env, 'S3_REGION') ?? 'us-east-1',
    s3Endpoint: readHttpUrl(env, 'S3_ENDPOINT'),
    s3ForcePathStyle: readBoolean(env, 'S3_FORCE_PATH_STYLE', false),
    // S3 refuses presigned links that last longer than seven days.
    linkExpirySeconds: readInteger(
      env,
      'FILE_LINK_EXPIRY_SECONDS',
      3600,
      60,
      604_800,
    ),
    linkSecret: readText(env, 'FILE_LINK_SECRET'),
  }
}

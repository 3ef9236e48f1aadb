/**
 * Files kept in an S3 bucket (AWS or an S3-compatible server), handed out as
 * presigned GET links. Credentials come from the AWS SDK's default chain:
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or an instance
 * role.
 */
import { createHash } from 'node:crypto'
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { FileStorageSettings } from '../config/file-storage-settings.js'
import type { FileStore, StoredFile } from './file-store.js'

/** File storage settings that name a bucket. */
export type S3FileStorageSettings = FileStorageSettings & { s3Bucket: string }

/** A store that keeps each file as an object of `settings.s3Bucket`. */
export function createS3FileStore(settings: S3FileStorageSettings): FileStore {
  const client = createS3Client(settings)
  const bucket = settings.s3Bucket

  return {
    driver: 's3',
    put: (key, body, contentType) =>
      putObject(client, settings, { key, body, contentType }),
    linkFor: (key, expiresInSeconds) =>
      getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: expiresInSeconds,
      }),
  }
}

function createS3Client(settings: S3FileStorageSettings): S3Client {
  return new S3Client({
    region: settings.s3Region,
    ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}),
    forcePathStyle: settings.s3ForcePathStyle,
    // S3-compatible servers reject the checksums AWS now adds by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

async function putObject(
  client: S3Client,
  settings: S3FileStorageSettings,
  file: { key: string; body: Buffer; contentType: string },
): Promise<StoredFile> {
  const sha256 = createHash('sha256').update(file.body).digest('hex')
  const command = new PutObjectCommand({
    Bucket: settings.s3Bucket,
    Key: file.key,
    Body: file.body,
    ContentType: file.contentType,
    Metadata: { sha256 },
  })
  try {
    await client.send(command)
  } catch (error) {
    throw new Error(describePutFailure(settings, file.key, error), {
      cause: error,
    })
  }

  return {
    key: file.key,
    size: file.body.length,
    contentType: file.contentType,
    sha256,
  }
}

function describePutFailure(
  settings: S3FileStorageSettings,
  key: string,
  error: unknown,
): string {
  const where = settings.s3Endpoint ?? `AWS region ${settings.s3Region}`
  const reason = error instanceof Error ? error.message : String(error)

  return (
    `could not store ${JSON.stringify(key)} in S3 bucket ` +
    `"${settings.s3Bucket}" at ${where}: ${reason}. Check S3_BUCKET, ` +
    'S3_REGION, S3_ENDPOINT and the AWS credentials (AWS_ACCESS_KEY_ID, ' +
    'AWS_SECRET_ACCESS_KEY or a profile or role) the service runs with.'
  )
}

import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { deleteObject } from './actions/delete-object.ts';
import { getObject } from './actions/get-object.ts';
import { listObjectsAction } from './actions/list-objects.ts';
import { putObject } from './actions/put-object.ts';
import { createS3Client, type S3Client, S3Credential } from './client.ts';
import { objectCreated } from './triggers/object-created.ts';

export const s3Connector = defineConnector<S3Credential, S3Client>({
  id: 's3',
  version: '1.0.0',
  title: 'Amazon S3 (and S3-compatible storage)',
  description:
    'Upload, download, list and delete objects in Amazon S3 or any S3-compatible store (MinIO, Cloudflare R2, Wasabi, Backblaze B2), and start a workflow for each new object.',
  credential: {
    type: 's3',
    schema: S3Credential,
    howToGet:
      'An access key allowed to use the bucket (AWS: IAM → Users → Security credentials → Create access key, with a ' +
      'policy granting s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject on it; R2: R2 → Manage API tokens; ' +
      'MinIO: Access Keys), as JSON: {"accessKeyId":"…","secretAccessKey":"…","region":"eu-central-1"}. For another ' +
      'store add "endpoint" (e.g. https://<account>.r2.cloudflarestorage.com, region "auto") and, for MinIO, ' +
      '"forcePathStyle": true. Requests are signed (SigV4); the secret key itself is never sent.',
    // The signature does not reveal the secret key; the session token is a field, registered already.
    wireSecrets: () => [],
    publicFields: ['accessKeyId', 'region', 'endpoint', 'forcePathStyle'],
  },
  // S3 allows 3500 writes and 5500 reads per second per prefix; SlowDown answers tighten it anyway.
  rateLimit: { requests: 3500, perSeconds: 1, burst: 500 },
  createClient: createS3Client,
  actions: [putObject, getObject, listObjectsAction, deleteObject],
  triggers: [objectCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});

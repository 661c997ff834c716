import { connectorKit } from '../sdk/connector-kit.ts';
import type { S3Client, S3Credential } from './client.ts';

/** Builders for the S3 connector's actions, bound to its credential and client. */
export const { action } = connectorKit<S3Credential, S3Client>();

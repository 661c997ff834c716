import { connectorKit } from '../sdk/connector-kit.ts';
import type { GithubClient, GithubCredential } from './client.ts';

/** Builders for the GitHub connector's actions, bound to its credential and client. */
export const { action } = connectorKit<GithubCredential, GithubClient>();

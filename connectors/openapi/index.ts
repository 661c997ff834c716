export {
  CONNECTOR_NAME,
  type ImportedOpenApiConnector,
  type ImportIssue,
  importOpenApi,
  type OpenApiOperationDoc,
  operationKey,
  type StoredOpenApiConnector,
} from './import-openapi.ts';
export type { BodyBinding, ImportedOperation, ParameterBinding } from './imported-operation.ts';
export { loadAllConnectors } from './load-all-connectors.ts';
export { type OpenApiClient, OperationOutput } from './operation-action.ts';
export { parseSpecText } from './parse-spec-text.ts';
export {
  deleteImportedConnector,
  type ImportedConnectorSummary,
  listImportedConnectors,
  loadImportedConnectors,
  loadImportedOpenApi,
  saveImportedConnector,
} from './store.ts';

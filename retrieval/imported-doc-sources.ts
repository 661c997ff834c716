import type { ImportedOpenApiConnector } from '../connectors/index.ts';
import type { DocSource } from './doc-source.ts';
import { openApiDocSources } from './openapi-doc-sources.ts';

/** The retrieval sources of an imported connector: one per operation and an overview (ids `openapi:<name>:…`). */
export function importedDocSources(imported: ImportedOpenApiConnector): DocSource[] {
  return openApiDocSources({
    connectorId: imported.connector.id,
    title: imported.connector.title,
    description: imported.connector.description,
    operations: imported.docs,
  });
}

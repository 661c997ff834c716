import type { WorkflowDocument } from '../../../runtime/workflow/index.ts';
import { workflowToMermaid } from '../workflow-to-mermaid.ts';

type Mermaid = typeof import('mermaid').default;
let loading: Promise<Mermaid> | undefined;
let counter = 0;

/** Mermaid is large: it is loaded on the first graph only, from its own chunks. */
function loadMermaid(): Promise<Mermaid> {
  loading ??= import('mermaid').then(({ default: mermaid }) => {
    return mermaid;
  });
  return loading;
}

const prefersDark = () => window.matchMedia?.('(prefers-color-scheme: dark)').matches === true;

/** Mermaid's dark theme when the page is dark (the picture sits on the card's dark background), else neutral. */
function themeMermaid(mermaid: Mermaid): void {
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    theme: prefersDark() ? 'dark' : 'neutral',
    flowchart: { useMaxWidth: true },
  });
}

/** Renders the workflow's graph into `container` (an SVG picture), keeping the mermaid text as its fallback. */
export async function renderWorkflowGraph(container: HTMLElement, document: WorkflowDocument): Promise<void> {
  const text = workflowToMermaid(document);
  container.setAttribute('aria-busy', 'true');
  try {
    const mermaid = await loadMermaid();
    themeMermaid(mermaid);
    container.dataset.theme = prefersDark() ? 'dark' : 'neutral';
    counter += 1;
    const { svg } = await mermaid.render(`graph-${counter}`, text);
    container.innerHTML = svg;
    container.querySelector('svg')?.setAttribute('role', 'img');
    container.querySelector('svg')?.setAttribute('aria-label', `Graph of workflow ${document.name}`);
    container.dataset.rendered = 'true';
  } catch (error) {
    const pre = window.document.createElement('pre');
    pre.textContent = text;
    container.replaceChildren(pre);
    container.dataset.rendered = 'fallback';
    console.error('graph render failed', error);
  } finally {
    container.removeAttribute('aria-busy');
  }
}

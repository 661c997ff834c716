/** The page shell: everything else comes from the bundle under /assets (no CDN). */
export function renderIndexHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VelocityMesh</title>
<link rel="stylesheet" href="/assets/style.css">
<script type="module" src="/assets/main.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <strong class="brand">VelocityMesh</strong>
  <nav aria-label="Main">
    <a href="#/">Chat</a>
    <a href="#/workflows">Workflows</a>
    <a href="#/runs">Runs</a>
    <a href="#/credentials">Credentials</a>
  </nav>
</header>
<main id="main" tabindex="-1"></main>
<noscript>VelocityMesh's web chat needs JavaScript.</noscript>
</body>
</html>
`;
}

// What an editor shows for YAML files: yaml-language-server (the engine of VS Code's YAML extension and of other
// editors' YAML support), each file's schema found through its `# yaml-language-server: $schema=...` modeline.
// Usage: node judge.js REQUESTS.json, where REQUESTS is [{path, hover?: [line, column], complete?: [line, column]}]
// (1-based lines, 0-based columns); prints [{path, diagnostics: [{line, message}], hover?, completions?}] as JSON.
const fs = require("fs");
const url = require("url");
const { getLanguageService } = require("yaml-language-server");
const { TextDocument } = require("vscode-languageserver-textdocument");

const service = getLanguageService({
  schemaRequestService: async (uri) => fs.readFileSync(url.fileURLToPath(uri), "utf8"),
  workspaceContext: { resolveRelativePath: (relative, resource) => new URL(relative, resource).toString() },
});
service.configure({ validate: true, hover: true, completion: true });

const position = ([line, character]) => ({ line: line - 1, character });
const text = (contents) => (Array.isArray(contents) ? contents : [contents]).map((c) => (typeof c === "string" ? c : c.value)).join("\n");

(async () => {
  const results = [];
  for (const request of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) {
    const document = TextDocument.create(url.pathToFileURL(request.path).toString(), "yaml", 1, fs.readFileSync(request.path, "utf8"));
    const result = { path: request.path };
    result.diagnostics = (await service.doValidation(document, false)).map((d) => ({ line: d.range.start.line + 1, message: d.message }));
    if (request.hover) {
      const hover = await service.doHover(document, position(request.hover));
      result.hover = hover ? text(hover.contents) : null;
    }
    if (request.complete) {
      const list = await service.doComplete(document, position(request.complete), false);
      result.completions = list.items.map((item) => item.label);
    }
    results.push(result);
  }
  console.log(JSON.stringify(results));
})().catch((error) => {
  console.error(error.stack || error);
  process.exit(3);
});

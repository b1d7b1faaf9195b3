// Validates APL documents with Amazon's apl-suggester, offline.
//
// stdin: {"documents": {"name": <APL document>}, "datasources": {"name": <data sources>}}
// stdout: {"name": [{"path", "message", "level"}]} for every document and data source given.
//
// The validator fetches each imported Alexa package from Amazon's package host. Tests run
// without network, so those fetches are answered from packages/<name>/<version>.json beside
// this file, and any other request fails (and so becomes a warning).
'use strict';

const fs = require('fs');
const path = require('path');
const suggesterPath = require.resolve('apl-suggester');
const axios = require(require.resolve('axios', { paths: [path.dirname(suggesterPath)] }));
const suggester = require(suggesterPath);

const PACKAGE_URL = /^https:\/\/arl\.assets\.apl-alexa\.com\/packages\/([a-z-]+)\/([0-9.]+)\/document(?:-w-desc)?\.json$/;
const PACKAGES = path.join(__dirname, 'packages');

axios.defaults.adapter = async (config) => {
  const found = PACKAGE_URL.exec(config.url || '');
  const file = found && path.join(PACKAGES, found[1], `${found[2]}.json`);
  if (!file || !fs.existsSync(file)) {
    throw new Error(`offline: no local copy of ${config.url}`);
  }
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { data, status: 200, statusText: 'OK', headers: {}, config, request: {} };
};

// Warnings the validator raises through its error channel (unknown layouts, failed imports).
// Its definitions are not registered by default, which would silence them.
let raised = [];
const errors = suggester.ErrorController.getInstance();
errors.registerErrors();
errors.setErrorInterface({
  sendError(error) {
    const where = (error.placeholders && error.placeholders.path) || '';
    raised.push({ path: where, message: `code ${error.code}: ${JSON.stringify(error.placeholders || {})}`, level: error.level });
  },
});

function simplify(results) {
  return results.map((r) => ({ path: r.path, message: r.errorMessage, level: r.level || 'WARNING' }));
}

async function main() {
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  const validator = new suggester.StaticAplTemplateValidator();
  const out = {};
  for (const [name, document] of Object.entries(input.documents || {})) {
    raised = [];
    errors.clearExistingWarn();
    const results = simplify(await validator.validate(document));
    out[name] = results.concat(raised);
  }
  for (const [name, sources] of Object.entries(input.datasources || {})) {
    raised = [];
    out[name] = simplify(await validator.validateDataSources(sources)).concat(raised);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});

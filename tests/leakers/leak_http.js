// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A Node HTTP server that leaks on one route, for leakd's watch-tier test: run
// with --perf-basic-prof.  Listens on 127.0.0.1 (a free port), says
// "ready PID PORT".  GET /leak keeps 2000 small objects and a string in a
// module-level array (retainRequest); GET /ok answers without keeping anything.
// Says "done" and exits on a line from stdin.
'use strict';
const http = require('http');

const retained = [];

function retainRequest(n) {
  for (let i = 0; i < n; i++)
    retained.push({ id: retained.length, at: Date.now(), tag: 'request-' + i + '-' + retained.length });
  return retained.length;
}

function handle(req, res) {
  if (req.url === '/leak') {
    res.end(String(retainRequest(2000)));
    return;
  }
  res.end('ok');
}

const server = http.createServer(handle);
server.listen(0, '127.0.0.1', () => {
  console.log('ready ' + process.pid + ' ' + server.address().port);
});
process.stdin.once('data', () => {
  console.log('done ' + retained.length);
  process.exit(0);
});

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A JavaScript leak for leakd's perf-map test: run with --perf-basic-prof (and
// --interpreted-frames-native-stack, so that interpreted functions have frames
// of their own).  Says "ready PID"; on a line from stdin leaks 200 ArrayBuffers
// from leakyFunction and says "leaked N"; on the next line exits.
'use strict';
const kept = [];

function leakyFunction(n) {
  for (let i = 0; i < n; i++)
    kept.push(new ArrayBuffer(256 * 1024));
  return kept.length;
}

console.log('ready ' + process.pid);
process.stdin.once('data', () => {
  for (let r = 0; r < 50; r++)
    leakyFunction(4);
  console.log('leaked ' + kept.length);
  process.stdin.once('data', () => process.exit(0));
});

// Prints the plain closing line CI reads ("N passed, N failed, N skipped")
// from vitest's JSON report; exits non-zero when nothing ran or something failed.
// Before it, each failed test and each test that passed only on its retry
// (ADR 0018) is named with its first error line, so a CI log's tail says
// what failed without scrolling back through the run.
import { readFileSync } from "node:fs";
import path from "node:path";

const file = process.argv[2];
if (!file) throw new Error("usage: test-summary.mjs <vitest.json>");
const report = JSON.parse(readFileSync(file, "utf8"));

const firstLine = (messages) => (messages[0] ?? "").split("\n")[0].slice(0, 300);
const failedTests = [];
const flakyTests = [];
for (const suite of report.testResults ?? []) {
  const where = path.relative(process.cwd(), suite.name ?? "");
  if ((suite.assertionResults ?? []).length === 0 && suite.status === "failed") {
    failedTests.push(`${where}: ${firstLine([suite.message ?? "suite failed to run"])}`);
  }
  for (const t of suite.assertionResults ?? []) {
    const messages = t.failureMessages ?? [];
    if (t.status === "failed") failedTests.push(`${where} > ${t.fullName}: ${firstLine(messages)}`);
    else if (t.status === "passed" && messages.length > 0) flakyTests.push(`${where} > ${t.fullName}: ${firstLine(messages)}`);
  }
}
if (flakyTests.length > 0) {
  console.log(`[test] passed only on retry (${flakyTests.length}), each a flake to fix:`);
  for (const line of flakyTests) console.log(`  ~ ${line}`);
}
if (failedTests.length > 0) {
  console.log(`[test] failed (${failedTests.length}):`);
  for (const line of failedTests) console.log(`  x ${line}`);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

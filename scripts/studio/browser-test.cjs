// Herald Studio end to end in headless Chromium (Debian's package), driven
// by playwright-core, with axe-core checking every page for accessibility.
//
//   node scripts/studio/browser-test.cjs BASE_URL LOGIN PASSWORD SHOTS_DIR
//
// Needs TOOLS (the folder where scripts/studio-browser.sh installed
// playwright-core and axe-core). Exits non-zero on the first failure, after
// a screenshot of the page as it was.
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const assert = require("node:assert/strict");
const http = require("node:http");

const tools = process.env.TOOLS;
const { chromium } = require(path.join(tools, "node_modules", "playwright-core"));
const axeSource = fs.readFileSync(path.join(tools, "node_modules", "axe-core", "axe.min.js"), "utf8");

const [base, login, password, shots] = process.argv.slice(2);
const ZONE = "Europe/Berlin";
const WIDTHS = [375, 1440];
fs.mkdirSync(shots, { recursive: true });

const problems = [];
let step = "start";

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: ZONE, locale: "en-GB" });
  const page = await context.newPage();
  page.on("console", (msg) => {
    // The refused sign-in is a 401 page on purpose; anything else is a fault.
    const refusedSignIn = /status of 401/.test(msg.text()) && page.url().endsWith("/studio/sign-in");
    if (msg.type() === "error" && !refusedSignIn) problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`script error on ${page.url()}: ${err.message}`));
  try {
    await run(page);
  } catch (err) {
    await page.screenshot({ path: path.join(shots, "failure.png"), fullPage: true }).catch(() => {});
    throw new Error(`${step}: ${err.message}`);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, [], "no console errors, script errors or CSP violations");
}

/// Screenshots at both widths, and axe-core's check with no serious or
/// critical violation.
async function inspect(page, name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 800 ? 812 : 900 });
    await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
  }
  // Evaluated through the DevTools protocol: the page's CSP (no inline
  // scripts) stays on, and axe runs inside the real page.
  const results = await page.evaluate(async (source) => {
    if (!window.axe) (0, eval)(source);
    const found = await window.axe.run(document, { resultTypes: ["violations"] });
    return found.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  }, axeSource);
  const serious = results.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious, [], `accessibility of ${name}`);
  for (const v of results) console.log(`  axe (${v.impact}) on ${name}: ${v.id} ${v.help}`);
}

/// `YYYY-MM-DDTHH:MM:SS` of `date` as a clock in ZONE shows it.
function zoneLocal(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

let variant = "";

async function run(page) {
  step = "a browser at / is sent to sign in";
  await page.goto(base + "/");
  assert.match(new URL(page.url()).pathname, /\/studio\/sign-in$/);
  await inspect(page, "sign-in");

  step = "a wrong password is refused beside the form";
  await page.getByLabel("E-mail or username").fill(login);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong e-mail, username or password." }).waitFor();

  step = "sign in";
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/studio\/posts$/);
  await inspect(page, "posts-empty");

  step = "compose with live counters";
  await page.getByRole("link", { name: "New post" }).click();
  await page.waitForURL(/\/studio\/posts\/new$/);
  await page.getByLabel("Title", { exact: true }).fill("Launching Herald Studio");
  await page.getByRole("group", { name: "Platforms" }).getByLabel("x", { exact: true }).check();
  const text = "Herald Studio lets you write, schedule and watch posts from one calm page. ".repeat(5);
  await page.getByLabel("Body (Markdown)").fill(`**${text.trim()}**`);
  const xRow = page.locator('#analysis tr[data-platform="x"]');
  await xRow.filter({ hasText: "Over the limit by" }).waitFor({ timeout: 10000 });
  await page.locator('#analysis tr[data-platform="blog"]').filter({ hasText: "yes" }).waitFor();
  await page.locator("#analysis").getByText("English").waitFor();
  await page.locator("#preview strong").filter({ hasText: "Herald Studio lets you" }).first().waitFor();

  step = "the counter follows the text back under the limit";
  await page.getByLabel("Body (Markdown)").fill("A short post for X. #herald");
  await xRow.filter({ hasText: "left" }).waitFor({ timeout: 10000 });
  await page.getByLabel("Body (Markdown)").fill(`**${text.trim()}**`);
  await xRow.filter({ hasText: "Over the limit by" }).waitFor({ timeout: 10000 });
  await inspect(page, "composer");

  step = "generate variants from a brief and insert one";
  await page.getByText("Generate from a brief").click();
  await page.getByLabel("Topic").fill("A calmer way to schedule posts");
  await page.getByLabel("Keywords (comma-separated)").fill("studio, scheduling");
  await page.getByRole("button", { name: "Generate variants" }).click();
  const insert = page.getByRole("button", { name: "Insert x variant 1 into the body" });
  await insert.waitFor({ timeout: 15000 });
  variant = await insert.getAttribute("data-insert-text");
  // The body has text: Studio asks before replacing it.
  page.once("dialog", (dialog) => dialog.accept());
  await insert.click();
  assert.equal(await page.getByLabel("Body (Markdown)").inputValue(), variant);
  await xRow.filter({ hasText: "left" }).waitFor({ timeout: 10000 });
  await inspect(page, "composer-generated");

  step = "dark mode follows the system and stays readable";
  await page.emulateMedia({ colorScheme: "dark" });
  await inspect(page, "composer-dark");
  await page.emulateMedia({ colorScheme: "light" });

  step = "schedule a few seconds ahead, in the reader's time zone";
  const due = new Date(Date.now() + 12000);
  due.setMilliseconds(0);
  await page.getByLabel(/Publish at/).fill(zoneLocal(due));
  await page.getByText(`your time zone: ${ZONE}`).waitFor();
  await page.getByRole("button", { name: "Schedule" }).click();
  await page.waitForURL(/\/studio\/posts\/\d+\?done=schedule$/);
  await page.getByRole("status").filter({ hasText: "Scheduled." }).waitFor();
  const stored = await page.locator(".facts time").first().getAttribute("datetime");
  assert.equal(new Date(stored).getTime(), due.getTime(), "the local time is stored as its UTC instant");
  await inspect(page, "scheduled-post");

  step = "the calendar shows the scheduled post on its day";
  await page.getByRole("link", { name: "Calendar" }).click();
  await page.locator("table.calendar td.today").getByRole("link", { name: "Launching Herald Studio" }).waitFor();
  await inspect(page, "calendar");
  await page.getByRole("link", { name: "Week" }).click();
  await page.locator("table.calendar").getByRole("link", { name: "Launching Herald Studio" }).waitFor();
  await inspect(page, "calendar-week");

  step = "the open list turns the post published without a reload";
  await page.getByRole("link", { name: "Posts", exact: true }).click();
  await page.waitForURL(/\/studio\/posts$/);
  const row = page.locator("tbody tr", { hasText: "Launching Herald Studio" });
  await row.locator(".badge", { hasText: "scheduled" }).waitFor();
  await page.evaluate(() => { window.notReloaded = true; });
  await row.locator(".badge", { hasText: "published" }).waitFor({ timeout: 45000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true, "updated in place");
  await inspect(page, "posts");

  step = "a few views later, the post's analytics show them";
  const postPath = new URL(await row.getByRole("link").getAttribute("href"), base).pathname;
  const postId = postPath.split("/").pop();
  for (let n = 0; n < 3; n++) {
    const read = await fetch(`${base}/api/v1/posts/${postId}`, { headers: { "user-agent": `Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 reader/${n}` } });
    assert.equal(read.status, 200);
  }
  await page.goto(`${base}/studio/posts/${postId}/analytics`);
  for (let tries = 0; (await page.locator('[data-total="Views"]').textContent()).trim() !== "3"; tries++) {
    assert.ok(tries < 50, "three views are counted within seconds");
    await page.waitForTimeout(200);
    await page.reload();
  }
  await page.locator('svg[role="img"]').waitFor();
  await inspect(page, "post-analytics");
  await page.getByRole("link", { name: "Analytics" }).click();
  await page.locator("#top-views").getByRole("link", { name: "Launching Herald Studio" }).waitFor();
  await inspect(page, "analytics");

  step = "revisions show what changed";
  await page.goto(`${base}/studio/posts/${postId}`);
  await page.getByRole("link", { name: "Revisions" }).click();
  await page.getByRole("link", { name: "Revision 1" }).click();
  await page.locator("pre.diff ins").first().waitFor();
  await inspect(page, "revision");

  step = "search finds the post with the match marked";
  await page.getByRole("link", { name: "Posts", exact: true }).click();
  const word = variant.match(/[A-Za-z]{6,}/)[0];
  await page.getByLabel("Search").fill(word);
  await page.getByRole("button", { name: "Apply" }).click();
  await page.locator("tbody tr mark").first().waitFor();

  step = "a webhook to a local receiver, and its delivery in the log";
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => { received.push({ id: req.headers["webhook-id"], body }); res.writeHead(200).end("ok"); });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  try {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByLabel("Receiver URL").fill(`http://127.0.0.1:${receiver.address().port}/hook`);
    await page.getByRole("button", { name: "Subscribe" }).click();
    assert.match(await page.locator("#new-secret").textContent(), /^whsec_/);
    await inspect(page, "webhooks");
    await page.getByRole("link", { name: /127\.0\.0\.1/ }).click();
    await page.getByRole("button", { name: "Send a ping" }).click();
    for (let tries = 0; (await page.locator("#deliveries .badge-succeeded").count()) === 0; tries++) {
      assert.ok(tries < 100, "the ping is delivered and logged within 20 s");
      await page.waitForTimeout(200);
      await page.reload();
    }
    await page.locator("#deliveries").getByText("HTTP 200").waitFor();
    assert.ok(received.some((r) => r.body.includes("webhook.ping")), "the receiver got the ping");
    await inspect(page, "webhook-deliveries");
  } finally {
    receiver.close();
  }

  step = "comment moderation, users and the job queue";
  await page.goto(`${base}/studio/posts/${postId}/comments`);
  await page.getByText("No comments.").waitFor();
  await inspect(page, "comments");
  await page.getByRole("link", { name: "Users" }).click();
  await page.locator('#users tr[data-user="admin"]').waitFor();
  await inspect(page, "users");
  await page.getByRole("link", { name: "Jobs" }).click();
  await page.locator("#jobs").waitFor();
  await page.getByLabel("State").selectOption("succeeded");
  await page.getByRole("button", { name: "Show" }).click();
  await page.locator("#jobs .badge-succeeded").first().waitFor();
  await inspect(page, "jobs");

  step = "an API key is shown once";
  await page.getByRole("link", { name: "API keys" }).click();
  await page.getByLabel("Name").fill("studio test");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.locator("#new-key").textContent();
  assert.match(key, /^hk_/);
  await inspect(page, "api-keys");
  await page.goto(base + "/studio/keys");
  await page.getByRole("cell", { name: "studio test", exact: true }).waitFor();
  assert.equal(await page.locator("#new-key").count(), 0, "never shown again");

  step = "sign out ends the session";
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/sign-in\?signed_out=1$/);
  await page.goto(base + "/studio/posts");
  await page.waitForURL(/\/studio\/sign-in\?next=/);
}

main().then(
  () => console.log("studio browser test: passed"),
  (err) => {
    console.error(`studio browser test FAILED at ${err.message}`);
    process.exit(1);
  },
);

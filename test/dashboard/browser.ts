/**
 * Test helpers for the status page: the real `spamzk status --serve` as a
 * child process, and Debian's Chromium driven headless by playwright-core
 * (never a downloaded browser).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BIN } from '../pipeline/harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export interface StatusPageProcess {
  readonly url: string;
  readonly port: number;
  readonly proc: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `spamzk status --serve --port 0` and waits for the address it prints. */
export async function startStatusPage(connectString: string, root: string, extra: string[] = []): Promise<StatusPageProcess> {
  const proc = spawn(process.execPath, [BIN, 'status', '--serve', '--port', '0', '--zk', connectString, '--zk-root', root, ...extra], {
    env: { ...process.env, SPAMZK_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`status --serve printed no address within 30 s; stderr:\n${stderr}`)), 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^status page: (http:\/\/\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`status --serve exited (${code}) before serving; stderr:\n${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

/** A fresh headless Chromium profile with one page. */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'spamzk-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under test-artifacts/ and prints its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = resolve(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`status page screenshot: ${path}`);
  return path;
}

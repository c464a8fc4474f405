import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@zocket/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { systemTestConfig } from './config.js';

/**
 * Debian's Chromium, installed on first use by infra/local/ensure-chromium (which also records
 * the playwright-core <-> Chromium version pairing). undefined when it cannot be had: the
 * browser tests then skip with the reason, except in CI, where that is a failure.
 */
export function findChromium(): { path: string } | { missing: string } {
  try {
    const path = execFileSync(join(repoRoot(), 'infra', 'local', 'ensure-chromium'), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 900_000,
    }).trim();
    return { path };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    const reason = `no Chromium for the browser tests: ${stderr.trim().split('\n').pop()}`;
    if (systemTestConfig.ci) {
      throw new Error(reason);
    }
    return { missing: reason };
  }
}

/** Headless Chromium; Playwright adds --no-sandbox by default (needed as root). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true });
}

/** Where screenshots go: $OUT_DIR when set, else the git-ignored tests/system/.artifacts. */
export function artifactDir(): string {
  const dir = systemTestConfig.outDir ?? join(repoRoot(), 'tests', 'system', '.artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The parts of an HTMLImageElement used here (this package compiles without the DOM types). */
interface ImageElement {
  complete: boolean;
  naturalWidth: number;
  addEventListener(type: 'load' | 'error', listener: () => void, options: { once: true }): void;
}

/**
 * Every <img> on the page really rendered: scrolled into view (they load lazily), complete, and
 * with pixels (naturalWidth > 0). A broken image has naturalWidth 0.
 */
export async function expectImagesRendered(page: Page, selector: string): Promise<number> {
  const images = page.locator(selector);
  const count = await images.count();
  for (let i = 0; i < count; i += 1) {
    const image = images.nth(i);
    await image.scrollIntoViewIfNeeded();
    await image.evaluate((element) => {
      const img = element as unknown as ImageElement;
      return img.complete
        ? undefined
        : new Promise<void>((resolve) => {
            img.addEventListener('load', () => resolve(), { once: true });
            img.addEventListener('error', () => resolve(), { once: true });
          });
    });
    const width = await image.evaluate(
      (element) => (element as unknown as ImageElement).naturalWidth,
    );
    if (width <= 0) {
      const src = await image.getAttribute('src');
      throw new Error(`image ${i} of ${selector} did not render (src ${src})`);
    }
  }
  return count;
}

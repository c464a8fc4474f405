import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { DEFAULT_PROFILE, PROFILE_V1 } from '../src/pipeline/image-pipeline.js';
import { resolveProfile } from '../src/pipeline/profile.js';

describe('loadConfig', () => {
  it('works with an empty environment and yields the default profile', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(8081);
    expect(config.fetch.allowlist).toBe('');
    expect(resolveProfile(config.images.profile)).toEqual({ ...DEFAULT_PROFILE, version: 'v2' });
  });

  it('keeps profile v1 settings under its version, so its catalogues stay reproducible', () => {
    const profile = resolveProfile(loadConfig({ VARIANT_PROFILE_VERSION: 'v1' }).images.profile);
    expect(profile).toEqual(PROFILE_V1);
    expect(profile.avif).not.toEqual(DEFAULT_PROFILE.avif);
  });

  it('starts any other version from the default profile', () => {
    const profile = resolveProfile(loadConfig({ VARIANT_PROFILE_VERSION: 'b7' }).images.profile);
    expect(profile).toEqual({ ...DEFAULT_PROFILE, version: 'b7' });
  });

  it('overrides the profile field by field', () => {
    const profile = resolveProfile(
      loadConfig({ VARIANT_WIDTHS: '200, 400', VARIANT_FORMATS: 'webp', AVIF_EFFORT: '6' }).images
        .profile,
    );
    expect(profile.widths).toEqual([200, 400]);
    expect(profile.formats).toEqual(['webp']);
    expect(profile.avif).toEqual({ ...DEFAULT_PROFILE.avif, effort: 6 });
  });

  it('keeps fixed qualities without QUALITY_TARGET, and searches to it when set', () => {
    const profile = (env: NodeJS.ProcessEnv) => resolveProfile(loadConfig(env).images.profile);
    const fixed = profile({ WEBP_QUALITY: '80' });
    expect(fixed.webp).toEqual({ ...DEFAULT_PROFILE.webp, quality: 80 });
    expect(fixed.avif.target).toBeUndefined();
    const searched = profile({
      QUALITY_TARGET: '72.5',
      AVIF_EFFORT: '0',
      VARIANT_PROFILE_VERSION: 'v3',
    });
    expect(searched.version).toBe('v3');
    expect(searched.webp.target).toMatchObject({ score: 72.5, maxProbes: 6 });
    expect(searched.avif).toMatchObject({ effort: 0, target: { score: 72.5, maxProbes: 6 } });
  });

  it('takes a target per format, each falling back to QUALITY_TARGET', () => {
    const profile = (env: NodeJS.ProcessEnv) => resolveProfile(loadConfig(env).images.profile);
    const both = profile({
      QUALITY_TARGET: '70',
      QUALITY_TARGET_AVIF: '71.1',
      VARIANT_PROFILE_VERSION: 'q70',
    });
    expect(both.webp.target).toMatchObject({ score: 70 });
    expect(both.avif.target).toMatchObject({ score: 71.1 });
    const avifOnly = profile({ QUALITY_TARGET_AVIF: '71.1', VARIANT_PROFILE_VERSION: 'q71' });
    expect(avifOnly.webp).toEqual(DEFAULT_PROFILE.webp);
    expect(avifOnly.avif.target).toMatchObject({ score: 71.1 });
  });

  it.each([
    { QUALITY_TARGET: '70' },
    { QUALITY_TARGET_WEBP: '70', VARIANT_PROFILE_VERSION: 'v1' },
    { QUALITY_TARGET_AVIF: '70.65', VARIANT_PROFILE_VERSION: 'v2' },
  ])('refuses a quality target under a fixed profile version (v1, v2): %o', (env) => {
    expect(() => loadConfig(env)).toThrow(/QUALITY_TARGET.*VARIANT_PROFILE_VERSION/);
  });

  it.each([
    ['VARIANT_FORMATS', 'webp,jpeg'],
    ['QUALITY_TARGET', 'high'],
    ['QUALITY_TARGET', '100'],
    ['QUALITY_TARGET_AVIF', '0'],
    ['QUALITY_TARGET_WEBP', 'best'],
    ['VARIANT_WIDTHS', '320,abc'],
    ['VARIANT_PROFILE_VERSION', 'V 1'],
    ['S3_PUBLIC_READ_ACL', 'maybe'],
    ['PUBLIC_IMAGE_BASE_URL', 'not a url'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

import { parseAllowlist } from '@zocket/service-kit';
import { describe, expect, it } from 'vitest';
import { checkImageUrls } from '../src/products/image-url-policy.js';

const refusedFields = (urls: string[], allowlist = '') => {
  try {
    checkImageUrls(urls, parseAllowlist(allowlist));
    return undefined;
  } catch (error) {
    return Object.keys((error as { fields?: Record<string, string[]> }).fields ?? {});
  }
};

describe('the image URL policy', () => {
  it('refuses non-public literal addresses and localhost names, naming each index', () => {
    expect(
      refusedFields([
        'https://cdn.example.com/a.jpg',
        'http://127.0.0.1/a.jpg',
        'http://169.254.169.254/',
        'http://[::1]/',
        'http://LOCALHOST./a',
      ]),
    ).toEqual(['imageUrls.1', 'imageUrls.2', 'imageUrls.3', 'imageUrls.4']);
  });

  it('lets through what FETCH_ALLOWLIST names, by address, network or hostname', () => {
    expect(refusedFields(['http://127.0.0.1:9000/a.jpg'], '127.0.0.1')).toBeUndefined();
    expect(refusedFields(['http://10.1.2.3/a.jpg'], '10.1.0.0/16')).toBeUndefined();
    expect(refusedFields(['http://localhost:9000/a.jpg'], 'localhost')).toBeUndefined();
    expect(refusedFields(['http://10.2.0.1/a.jpg'], '10.1.0.0/16')).toEqual(['imageUrls.0']);
  });

  it('accepts public addresses and names (what a name resolves to is the processor’s check)', () => {
    expect(
      refusedFields(['https://93.184.215.14/a.jpg', 'https://images.example/a']),
    ).toBeUndefined();
    expect(refusedFields([])).toBeUndefined();
  });
});

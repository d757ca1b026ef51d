// Build mode: the docker provider builds one function's image from its esbuild bundle folder and pushes it to ECR.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Construct } from 'constructs';
import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Architecture } from './config';

export interface BundleImageProps {
  repository: EcrRepository;
  /** The bundle folder on this machine: `dist/bundles/<function>/`, holding index.js and the Dockerfile. */
  bundleDir: string;
  /** The folder Terraform runs in (`cdktf.out/stacks/<stack>`); the build context is written relative to it. */
  stackDir: string;
  architecture: Architecture;
  provider: DockerProvider;
  /** Digest-pinned base image passed to the Dockerfile as BASE_IMAGE; without it the Dockerfile's own default. */
  baseImage?: string;
}

/** Thrown at synthesis when a bundle folder is missing: the images are built from `npm run bundle`'s output. */
export class MissingBundleError extends Error {
  constructor(missing: string) {
    super(`${missing} does not exist: run \`npm run bundle\` (or \`npm run build\`) before synthesizing in build mode`);
    this.name = 'MissingBundleError';
  }
}

export function platformOf(architecture: Architecture): string {
  return architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64';
}

/**
 * SHA-256 over the relative path and content of every file under a folder, in a fixed order, so the same bundle
 * always gives the same hash on any machine and a changed byte gives another.
 */
export function bundleHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(dir)) {
    const name = relative(dir, file).split(sep).join('/');
    hash.update(`${name}\0${statSync(file).size}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(path);
      return entry.isFile() ? [path] : [];
    });
}

/**
 * The image tag: `bundle-` and 16 hex of the bundle hash, or, with a base image, of the hash of both, so the same
 * bundle on another base gets another tag (tags are immutable).
 */
export function imageTag(contentHash: string, baseImage?: string): string {
  const hash = baseImage === undefined ? contentHash : createHash('sha256').update(`${contentHash}\n${baseImage}`).digest('hex');
  return `bundle-${hash.slice(0, 16)}`;
}

export class BundleImage extends Construct {
  /** Content hash of the bundle; with the base image, the image tag and the rebuild trigger. */
  readonly contentHash: string;
  /** `<repository url>@sha256:<digest>` of the pushed image. */
  readonly imageUri: string;
  readonly image: Image;
  readonly registryImage: RegistryImage;

  constructor(scope: Construct, id: string, props: BundleImageProps) {
    super(scope, id);
    if (!existsSync(props.bundleDir)) throw new MissingBundleError(props.bundleDir);
    const dockerfile = join(props.bundleDir, 'Dockerfile');
    if (!existsSync(dockerfile)) throw new MissingBundleError(dockerfile);
    this.contentHash = bundleHash(props.bundleDir);
    const triggers = {
      bundle_sha256: this.contentHash,
      ...(props.baseImage === undefined ? {} : { base_image: props.baseImage }),
    };
    // Relative to the stack folder through path.module, so the synthesized JSON names no path of this machine.
    const context = `\${path.module}/${relative(props.stackDir, props.bundleDir).split(sep).join('/')}`;

    this.image = new Image(this, 'image', {
      provider: props.provider,
      name: `${props.repository.repositoryUrl}:${imageTag(this.contentHash, props.baseImage)}`,
      // No buildx `builder`: the classic build makes a single-platform manifest, not the OCI index with
      // provenance attestations that Lambda rejects.
      buildAttribute: {
        context,
        dockerfile: 'Dockerfile',
        platform: platformOf(props.architecture),
        ...(props.baseImage === undefined ? {} : { buildArgs: { BASE_IMAGE: props.baseImage } }),
      },
      platform: platformOf(props.architecture),
      triggers,
      keepLocally: true,
    });

    this.registryImage = new RegistryImage(this, 'push', {
      provider: props.provider,
      name: this.image.name,
      // Earlier images stay in ECR (the lifecycle policy ages them out) so a rollback can re-point to one.
      keepRemotely: true,
      triggers,
    });

    this.imageUri = `${props.repository.repositoryUrl}@${this.registryImage.sha256Digest}`;
  }
}

// The S3 bucket of model versions: versioned, encrypted, private, TLS-only; grants scoped to the model prefix.
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { AccountContext } from './account';
import { ContainerFunction } from './container-function';
import { PolicyStatement, policyDocument } from './policy';

export const FEATURE_SPECS_KEY = 'config/feature-specs.json';

export interface ModelBucketProps {
  namePrefix: string;
  account: AccountContext;
  /** Key prefix of model versions and the current pointer, e.g. `models/`. */
  modelPrefix: string;
  /** Days a replaced or deleted object version is kept before it expires. */
  noncurrentVersionDays: number;
}

export class ModelBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly modelPrefix: string;

  constructor(scope: Construct, id: string, props: ModelBucketProps) {
    super(scope, id);
    this.modelPrefix = props.modelPrefix;
    // Bucket names are global: the account id and region make this one unique without a random suffix.
    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: `${props.namePrefix}-models-${props.account.accountId}-${props.account.region}`,
    });
    new S3BucketVersioningA(this, 'versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: policyDocument([
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: { AWS: '*' },
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
      dependsOn: [publicAccess],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
  }

  /** Detection: read model documents and the pointer; list only under the prefix, so a missing key is a 404. */
  grantModelRead(grantee: ContainerFunction): void {
    grantee.grant('models-read', this.modelReadStatements(), this);
  }

  /** Training: read, list and write under the prefix. No delete: versions are never removed, only re-pointed. */
  grantModelReadWrite(grantee: ContainerFunction): void {
    grantee.grant(
      'models-read-write',
      [
        ...this.modelReadStatements(),
        { sid: 'WriteModels', actions: ['s3:PutObject'], resources: [`${this.bucket.arn}/${this.modelPrefix}*`] },
      ],
      this,
    );
  }

  /** Uploads the feature specs document and lets a function read that one object. */
  putFeatureSpecs(document: string, reader: ContainerFunction): string {
    new S3Object(this, 'feature-specs', {
      bucket: this.bucket.id,
      key: FEATURE_SPECS_KEY,
      content: document,
      contentType: 'application/json',
    });
    reader.grant(
      'feature-specs-read',
      [{ sid: 'ReadFeatureSpecs', actions: ['s3:GetObject'], resources: [`${this.bucket.arn}/${FEATURE_SPECS_KEY}`] }],
      this,
    );
    return FEATURE_SPECS_KEY;
  }

  private modelReadStatements(): PolicyStatement[] {
    return [
      { sid: 'ReadModels', actions: ['s3:GetObject'], resources: [`${this.bucket.arn}/${this.modelPrefix}*`] },
      {
        sid: 'ListModels',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.arn],
        conditions: { StringLike: { 's3:prefix': [`${this.modelPrefix}*`] } },
      },
    ];
  }
}

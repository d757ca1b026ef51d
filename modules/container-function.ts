// One Lambda function from a container image: its ECR repository, image, role, log group and environment.
import { Construct } from 'constructs';
import { Fn, TerraformVariable } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcrRepositoryPolicy } from '@cdktf/provider-aws/lib/ecr-repository-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { AccountContext } from './account';
import { BundleImage } from './bundle-image';
import { Architecture } from './config';
import { PolicyStatement, policyDocument, serviceTrustPolicy } from './policy';

/** Where the function's image comes from: built here from a bundle, or a digest-pinned URI given as a variable. */
export type FunctionImageSource =
  | { mode: 'build'; bundleDir: string; stackDir: string; provider: DockerProvider; baseImage?: string }
  | { mode: 'prebuilt'; variableName: string };

/** `<ECR repository>@sha256:<64 hex>`; in Terraform's RE2 syntax, without backslashes so JSON keeps it readable. */
export const DIGEST_PINNED_ECR_URI =
  '^[0-9]{12}[.]dkr[.]ecr[.][a-z0-9-]+[.]amazonaws[.]com([.]cn)?/[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$';

export interface ContainerFunctionProps {
  functionName: string;
  account: AccountContext;
  description: string;
  architecture: Architecture;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Readonly<Record<string, string>>;
  logRetentionDays: number;
  /** How many images the repository keeps; older ones expire. */
  keepImages: number;
  image: FunctionImageSource;
}

export class ContainerFunction extends Construct {
  readonly repository: EcrRepository;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly function: LambdaFunction;
  readonly imageUri: string;
  /** Set in prebuilt mode: the Terraform variable that carries the image URI. */
  readonly imageVariable?: TerraformVariable;
  /** Set in build mode. */
  readonly bundleImage?: BundleImage;

  constructor(scope: Construct, id: string, props: ContainerFunctionProps) {
    super(scope, id);

    this.repository = new EcrRepository(this, 'repository', {
      name: props.functionName,
      // Immutable tags: the function is pinned by digest, and a tag can never be moved under a reviewer's feet.
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
    });
    // A readable, stable address: the first deploy in prebuilt mode targets the repositories before any image exists.
    this.repository.overrideLogicalId(`${id}_repository`);
    // Lambda pulls same-account images as the Lambda service; only for this function, by its ARN.
    const { partition, region, accountId } = props.account;
    const pullPolicy = new EcrRepositoryPolicy(this, 'repository-policy', {
      repository: this.repository.name,
      policy: policyDocument([
        {
          sid: 'LambdaPullForItsFunction',
          principals: { Service: 'lambda.amazonaws.com' },
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          conditions: {
            StringLike: { 'aws:sourceArn': `arn:${partition}:lambda:${region}:${accountId}:function:${props.functionName}` },
          },
        },
      ]),
    });
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the last ${props.keepImages} images for rollback`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: props.keepImages },
            action: { type: 'expire' },
          },
        ],
      }),
    });

    if (props.image.mode === 'build') {
      this.bundleImage = new BundleImage(this, 'image', {
        repository: this.repository,
        bundleDir: props.image.bundleDir,
        stackDir: props.image.stackDir,
        architecture: props.architecture,
        provider: props.image.provider,
        baseImage: props.image.baseImage,
      });
      this.imageUri = this.bundleImage.imageUri;
    } else {
      this.imageVariable = new TerraformVariable(this, 'image-uri', {
        type: 'string',
        nullable: false,
        description: `Digest-pinned image URI of ${props.functionName}, as \`npm run images\` prints it`,
      });
      this.imageVariable.overrideLogicalId(props.image.variableName);
      this.imageVariable.addValidation({
        condition: Fn.can(Fn.regex(DIGEST_PINNED_ECR_URI, this.imageVariable.stringValue)),
        errorMessage: `${props.image.variableName} must be an ECR image pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>.`,
      });
      this.imageUri = this.imageVariable.stringValue;
    }

    // Created before the function, so Lambda never creates it without a retention.
    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new IamRole(this, 'role', {
      name: props.functionName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com'),
    });
    const logsPolicy = this.grant('logs', [
      {
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.arn}:*`],
      },
    ]);

    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      description: props.description,
      packageType: 'Image',
      imageUri: this.imageUri,
      architectures: [props.architecture],
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      role: this.role.arn,
      environment: { variables: { ...props.environment } },
      // Lambda checks at creation that it may pull the image and that the log group exists.
      dependsOn: [this.logGroup, logsPolicy, pullPolicy],
    });
  }

  /** Attaches statements to this function's role as one named inline policy; callers keep them next to what they grant. */
  grant(name: string, statements: readonly PolicyStatement[], scope: Construct = this): IamRolePolicy {
    return new IamRolePolicy(scope, `${this.node.id}-${name}`, {
      name,
      role: this.role.id,
      policy: policyDocument(statements),
    });
  }
}

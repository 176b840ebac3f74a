"""Amazon Rekognition through boto3/botocore: `detect_labels` answered by the local model.

Fixed roles: `descriptor` (what the provider is), `codec` (request → image, labels → the
service's response and errors), `patch` (where botocore is hooked). Importing this package
imports no boto3 or botocore.
"""

from chameleonapi.services.aws_rekognition.descriptor import DESCRIPTOR

__all__ = ["DESCRIPTOR"]

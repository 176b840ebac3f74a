"""A thin wrapper over Rekognition (the shape of the AWS code examples)."""
import boto3


class RekognitionImage:
    def __init__(self, data):
        self.image = {"Bytes": data}
        self.client = boto3.client("rekognition", region_name="us-east-1")

    def detect_labels(self, max_labels):
        response = self.client.detect_labels(Image=self.image, MaxLabels=max_labels)
        return response["Labels"]

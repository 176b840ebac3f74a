"""Pet photo sharing (Amazon Rekognition): hashtags for the animals a photo shows."""

import boto3

HASHTAGS = {
    "Cat": "#cats",
    "Dog": "#dogs",
    "Horse": "#horses",
    "Frog": "#frogs",
}

client = boto3.client("rekognition", region_name="us-east-1")


def hashtags(image_bytes):
    response = client.detect_labels(Image={"Bytes": image_bytes}, MaxLabels=10, MinConfidence=50)
    return sorted({HASHTAGS[label["Name"]] for label in response["Labels"] if label["Name"] in HASHTAGS})

"""AWS labels with a 0-100 confidence test in code; the first matching label decides."""
import boto3

ANIMALS = {"Dog": "dog", "Puppy": "dog", "Cat": "cat", "Kitten": "cat", "Bird": "bird"}


def animal(data):
    client = boto3.client("rekognition", region_name="us-east-1")
    response = client.detect_labels(Image={"Bytes": data})
    for label in response["Labels"]:
        if label["Confidence"] > 90 and label["Name"] in ANIMALS:
            return ANIMALS[label["Name"]]
    return None

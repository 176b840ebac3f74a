"""Upload validator: the response goes to a method that reads response.get('Labels', [])."""
import boto3

BANNED = ["Weapon", "Violence", "Blood"]


class PhotoValidator:
    def __init__(self):
        self.rekognition = boto3.client("rekognition")

    def validate(self, photo_bytes):
        response = self.rekognition.detect_labels(Image={"Bytes": photo_bytes}, MaxLabels=10)
        if not self.is_allowed(response):
            raise ValueError("image not allowed")
        return photo_bytes

    def is_allowed(self, rekognition_response):
        for label in rekognition_response.get("Labels", []):
            if label["Name"] in BANNED:
                return False
        return True

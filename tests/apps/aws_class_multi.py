"""AWS in a class: one method returns the labels, another collects categories."""
import boto3


class Inspector:
    DEFECTS = {"rust": ["Rust", "Corrosion"], "crack": ["Crack"], "leak": ["Puddle", "Water"]}

    def __init__(self):
        self.client = boto3.client("rekognition", region_name="us-east-1")

    def labels(self, data):
        return self.client.detect_labels(Image={"Bytes": data}, MinConfidence=70)["Labels"]

    def defects(self, data):
        found = []
        labels = self.labels(data)
        for defect, words in self.DEFECTS.items():
            for label in labels:
                if label["Name"] in words:
                    found.append(defect)
                    break
        return found


def defects(data):
    return Inspector().defects(data)

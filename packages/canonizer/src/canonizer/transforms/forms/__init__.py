"""Questionnaire transforms: Google Forms responses to ``questionnaire_response``."""

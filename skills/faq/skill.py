"""FAQ answering by retrieval (RAG): extractive by default, by the LLM only when configured (a stronger model).

Document text is data. This skill has no device permission, so nothing written in a document can reach a device
action; the extractive answer only quotes sentences, and the LLM prompt fences documents as data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.engines import KnowledgeRetriever
from contracts.messages import ErrorCode, IntentMatch, SkillResult
from contracts.skills import Permission, Skill, SkillContext, intent
from skills.faq.answer import DONT_KNOW, KbAnswer, extractive_answer, llm_answer

__all__ = ["FaqSkill"]


class FaqSkill(Skill):
    """Answers questions about the home from the ingested documents (house manual, uploads)."""

    id: ClassVar[str] = "faq"
    description: ClassVar[str] = (
        "Answers questions from the house manual and your documents, citing its sources (e.g. 'what is the wifi "
        "password?', 'when are the bins collected?')."
    )
    permissions: ClassVar[frozenset[Permission]] = frozenset({Permission.READ_KNOWLEDGE, Permission.USE_LLM})
    default_settings: ClassVar[dict[str, Any]] = {
        "answer_mode": "extractive",  # extractive | llm (use llm only with a model stronger than the embedded 135M)
        "top_k": 4,
        "min_score": 0.35,  # used when the retriever is a plain Retriever (a KnowledgeBase applies its own)
        "max_tokens": 200,
    }
    timeout_s: ClassVar[float] = 30.0
    templates_file: ClassVar[str | None] = "templates.yaml"

    @intent(
        "FaqAsk",
        examples=(
            "what is the wifi password",
            "how do I connect to the wifi",
            "when is bin day",
            "which bin goes out this week",
            "how does the heating schedule work",
            "how do I set the alarm",
            "how do I reset the router",
            "where is the water shut-off valve",
            "who do I call if there is a gas leak",
            "how do I empty the robot vacuum",
            "when does the garden get watered",
            "how do I use the dishwasher",
            "what should I do if the power goes out",
            "where is the fuse box",
            "what does the house manual say about the boiler",
        ),
        slots={"question": "text"},
    )
    def ask(self, match: IntentMatch, ctx: SkillContext) -> SkillResult:
        """Answer a question from the knowledge base, citing document and chunk."""
        question = str(match.slots.get("question") or ctx.text or match.text).strip()
        if ctx.retriever is None:
            return SkillResult(
                text="The knowledge base is not available right now.",
                success=False,
                error_code=ErrorCode.KB_NOT_FOUND.value,
            )
        settings = ctx.settings
        llm = ctx.llm if str(settings.get("answer_mode", "extractive")) == "llm" else None
        emit = ctx.emit_token if llm is not None else None
        top_k = int(settings.get("top_k", 4))
        embedder = None
        if isinstance(ctx.retriever, KnowledgeRetriever):  # the engine's knowledge base applies its own floor
            passages = ctx.retriever.relevant(question, k=top_k)[:3]
            embedder = ctx.retriever.embedder
        else:
            min_score = float(settings.get("min_score", 0.35))
            passages = [p for p in ctx.retriever.search(question, k=top_k) if p.score >= min_score][:3]
        answer: KbAnswer
        if not passages:
            answer = KbAnswer(DONT_KNOW, (), abstained=True, mode="none")
        elif llm is not None:
            answer = llm_answer(question, passages, llm, max_tokens=int(settings.get("max_tokens", 200)), emit=emit)
        else:
            answer = extractive_answer(question, passages, embedder=embedder)
        return SkillResult(
            text=answer.text,
            success=True,
            citations=answer.citations,
            data={"abstained": answer.abstained, "mode": answer.mode, "question": question},
        )
